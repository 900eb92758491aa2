/**
 * The checks a 2026-07-28 request passes before dispatch, in the order the spec and the reference SDK apply
 * them (the first failure wins): envelope (-32602), header/body agreement (-32020), version (-32022), required
 * headers (-32020). On stdio there are no headers, so only the envelope and version checks apply.
 */
import { ErrorCode } from './errors.js';
import type { JsonRpcRequest } from './jsonrpc.js';
import {
  decodeHeaderValue,
  type Envelope,
  isSupportedModernVersion,
  MODERN_VERSIONS,
  ModernErrorCode,
  readEnvelope,
} from './modern.js';

export interface ModernHeaders {
  version: string | undefined;
  method: string | undefined;
  name: string | undefined;
  /** Any request header by lower-case name (for `Mcp-Param-*`). */
  get?: (name: string) => string | undefined;
}

export interface LadderFailure {
  code: number;
  message: string;
  data?: unknown;
  status: number;
}

export type LadderOutcome = { ok: true; envelope: Envelope } | { ok: false; failure: LadderFailure };

const NAMED: Record<string, string> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  // The tasks extension (io.modelcontextprotocol/tasks) routes its methods by task id.
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

const mismatch = (message: string, data?: unknown): LadderOutcome => ({
  ok: false,
  failure: {
    code: ModernErrorCode.HeaderMismatch,
    message: `Header mismatch: ${message}`,
    data,
    status: 400,
  },
});

export function checkModernRequest(req: JsonRpcRequest, headers: ModernHeaders | undefined): LadderOutcome {
  const read = readEnvelope(req.params);
  if (!read.ok) {
    return {
      ok: false,
      failure: { code: ErrorCode.InvalidParams, message: read.message, data: read.data, status: 400 },
    };
  }
  const claim = read.envelope.protocolVersion;
  if (headers) {
    if (headers.version === undefined) return mismatch('the MCP-Protocol-Version header is required');
    if (headers.version.trim() !== claim) {
      return mismatch(`MCP-Protocol-Version ${headers.version} does not match _meta ${claim}`, {
        header: headers.version,
        body: claim,
      });
    }
    if (headers.method !== undefined && headers.method.trim() !== req.method) {
      return mismatch(`Mcp-Method ${headers.method} does not match the method ${req.method}`);
    }
  }
  if (!isSupportedModernVersion(claim)) {
    return {
      ok: false,
      failure: {
        code: ModernErrorCode.UnsupportedProtocolVersion,
        message: `Unsupported protocol version: ${claim}`,
        data: { supported: [...MODERN_VERSIONS], requested: claim },
        status: 400,
      },
    };
  }
  if (headers) {
    if (headers.method === undefined) return mismatch('the Mcp-Method header is required');
    const field = NAMED[req.method];
    const target = field === undefined ? undefined : req.params?.[field];
    if (typeof target === 'string') {
      if (headers.name === undefined) return mismatch(`the Mcp-Name header is required for ${req.method}`);
      const decoded = decodeHeaderValue(headers.name);
      if (decoded === undefined) return mismatch('Mcp-Name is not valid base64 in its =?base64?…?= form');
      if (decoded !== target) return mismatch(`Mcp-Name ${decoded} does not match ${field} ${target}`);
    }
  }
  return { ok: true, envelope: read.envelope };
}
