/**
 * JSON-RPC 2.0 wire shapes: types, classification and validation of one decoded message, and response builders.
 * Pure functions, no I/O.
 */
import { ErrorCode, type McpError } from './errors.js';

export type RequestId = string | number;
export type Params = Record<string, unknown>;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: Params;
}
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Params;
}
export interface JsonRpcSuccess {
  jsonrpc: '2.0';
  id: RequestId;
  result: unknown;
}
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}
export interface JsonRpcError {
  jsonrpc: '2.0';
  id: RequestId | null;
  error: JsonRpcErrorObject;
}
export type JsonRpcResponse = JsonRpcSuccess | JsonRpcError;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** A decoded message sorted by kind, or the error to answer it with. */
export type Classified =
  | { kind: 'request'; message: JsonRpcRequest }
  | { kind: 'notification'; message: JsonRpcNotification }
  | { kind: 'response'; message: JsonRpcResponse }
  | { kind: 'invalid'; error: JsonRpcError };

const isId = (v: unknown): v is RequestId =>
  typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sorts one decoded JSON value into a request, notification or response, or an Invalid Request error. */
export function classify(value: unknown): Classified {
  if (!isObject(value) || value['jsonrpc'] !== '2.0') {
    return invalid(value, 'Invalid Request: not a JSON-RPC 2.0 message');
  }
  const { method, id, params } = value;
  if (method !== undefined) {
    if (typeof method !== 'string') return invalid(value, 'Invalid Request: method must be a string');
    if (params !== undefined && !isObject(params)) {
      return invalid(value, 'Invalid Request: params must be an object');
    }
    if (id === undefined) return { kind: 'notification', message: value as unknown as JsonRpcNotification };
    if (!isId(id)) return invalid(value, 'Invalid Request: id must be a string or an integer');
    return { kind: 'request', message: value as unknown as JsonRpcRequest };
  }
  if ('result' in value || isObject(value['error'])) {
    if (!isId(id) && id !== null) return invalid(value, 'Invalid Request: response id is invalid');
    return { kind: 'response', message: value as unknown as JsonRpcResponse };
  }
  return invalid(value, 'Invalid Request: neither a request, a notification nor a response');
}

function invalid(value: unknown, message: string): Classified {
  const id = isObject(value) && isId(value['id']) ? value['id'] : null;
  return { kind: 'invalid', error: errorResponse(id, ErrorCode.InvalidRequest, message) };
}

export function success(id: RequestId, result: unknown): JsonRpcSuccess {
  return { jsonrpc: '2.0', id, result };
}

export function errorResponse(
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcError {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id, error };
}

export function fromMcpError(id: RequestId | null, err: McpError): JsonRpcError {
  return errorResponse(id, err.code, err.message, err.data);
}

export const parseErrorResponse = (detail = 'Parse error: the body is not valid JSON'): JsonRpcError =>
  errorResponse(null, ErrorCode.ParseError, detail);

/** Decodes text into JSON, or returns undefined when it is not valid JSON. */
export function decode(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export const isRequest = (m: JsonRpcMessage): m is JsonRpcRequest => 'method' in m && 'id' in m;
export const isNotification = (m: JsonRpcMessage): m is JsonRpcNotification => 'method' in m && !('id' in m);
export const isResponse = (m: JsonRpcMessage): m is JsonRpcResponse => !('method' in m);
