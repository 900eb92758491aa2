import { describe, expect, it } from 'vitest';
import type { JsonRpcRequest } from './jsonrpc.js';
import { claimedVersion, decodeHeaderValue, isModern, META, readEnvelope } from './modern.js';
import { checkModernRequest } from './modern-ladder.js';

const meta = (extra: Record<string, unknown> = {}) => ({
  [META.protocolVersion]: '2026-07-28',
  [META.clientCapabilities]: {},
  ...extra,
});
const request = (method: string, params: Record<string, unknown>): JsonRpcRequest => ({
  jsonrpc: '2.0',
  id: 7,
  method,
  params,
});

describe('era detection', () => {
  it('is modern with a _meta claim or a non-handshake version header', () => {
    expect(isModern({ params: { _meta: meta() } }, undefined)).toBe(true);
    expect(isModern({ params: {} }, '2026-07-28')).toBe(true);
    expect(isModern({ params: {} }, '2025-11-25')).toBe(false);
    expect(isModern({ method: 'initialize' }, undefined)).toBe(false);
    expect(isModern([{ params: { _meta: meta() } }], undefined)).toBe(false);
    expect(claimedVersion(null)).toBeUndefined();
  });
});

describe('readEnvelope', () => {
  it('accepts a full envelope', () => {
    const r = readEnvelope({
      _meta: meta({ [META.clientInfo]: { name: 'c', version: '1' }, [META.logLevel]: 'info' }),
    });
    expect(r).toEqual({
      ok: true,
      envelope: {
        protocolVersion: '2026-07-28',
        clientCapabilities: {},
        clientInfo: { name: 'c', version: '1' },
        logLevel: 'info',
      },
    });
  });

  it.each([
    ['no _meta', {}, /_meta/],
    ['no version', { _meta: { [META.clientCapabilities]: {} } }, /protocolVersion/],
    ['numeric version', { _meta: meta({ [META.protocolVersion]: 1 }) }, /must be a string/],
    ['no capabilities', { _meta: { [META.protocolVersion]: '2026-07-28' } }, /clientCapabilities/],
    ['array capabilities', { _meta: meta({ [META.clientCapabilities]: [] }) }, /must be an object/],
    ['bad clientInfo', { _meta: meta({ [META.clientInfo]: { name: 1 } }) }, /clientInfo/],
    ['bad logLevel', { _meta: meta({ [META.logLevel]: 'loud' }) }, /logLevel/],
  ])('rejects %s', (_name, params, message) => {
    const r = readEnvelope(params);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('header sentinel', () => {
  it.each([
    ['us-west1', 'us-west1'],
    ['=?base64?SGVsbG8sIOS4lueVjA==?=', 'Hello, 世界'],
    ['=?base64?IHBhZGRlZCA=?=', ' padded '],
    ['  plain  ', 'plain'],
    ['SGVsbG8=', 'SGVsbG8='],
    ['=?base64?SGVsbG8=', '=?base64?SGVsbG8='],
    ['=?BASE64?SGVsbG8=?=', '=?BASE64?SGVsbG8=?='],
  ])('decodes %s', (raw, value) => {
    expect(decodeHeaderValue(raw)).toBe(value);
  });

  it.each(['=?base64?SGVsbG8?=', '=?base64?SGVs!!!bG8=?=', '=?base64?/w==?='])('rejects %s', (raw) => {
    expect(decodeHeaderValue(raw)).toBeUndefined();
  });
});

describe('validation ladder', () => {
  const headers = (h: Partial<{ version: string; method: string; name: string }> = {}) => ({
    version: '2026-07-28',
    method: 'tools/call',
    name: 'echo',
    ...h,
  });
  const call = request('tools/call', { name: 'echo', _meta: meta() });

  it('passes a consistent request, on HTTP and on stdio', () => {
    expect(checkModernRequest(call, headers()).ok).toBe(true);
    expect(checkModernRequest(call, undefined).ok).toBe(true);
    expect(checkModernRequest(call, headers({ name: '=?base64?ZWNobw==?=' })).ok).toBe(true);
  });

  it.each([
    ['missing envelope', request('tools/call', { name: 'echo' }), headers(), -32602],
    ['no version header', call, { version: undefined, method: 'tools/call', name: 'echo' }, -32020],
    ['header version differs', call, headers({ version: '2025-11-25' }), -32020],
    ['method differs', call, headers({ method: 'TOOLS/CALL' }), -32020],
    ['no method header', call, { version: '2026-07-28', method: undefined, name: 'echo' }, -32020],
    ['no name header', call, { version: '2026-07-28', method: 'tools/call', name: undefined }, -32020],
    ['name differs', call, headers({ name: 'other' }), -32020],
    ['bad name sentinel', call, headers({ name: '=?base64?ZWNobw?=' }), -32020],
  ])('refuses %s', (_name, req, h, code) => {
    const r = checkModernRequest(req, h);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.code).toBe(code);
      expect(r.failure.status).toBe(400);
    }
  });

  it('refuses unsupported versions with the supported list (after header agreement)', () => {
    const v999 = request('server/discover', { _meta: meta({ [META.protocolVersion]: 'v999.0.0' }) });
    const r = checkModernRequest(v999, { version: 'v999.0.0', method: 'server/discover', name: undefined });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.code).toBe(-32022);
      expect(r.failure.data).toEqual({ supported: ['2026-07-28'], requested: 'v999.0.0' });
    }
    const mismatch = checkModernRequest(v999, {
      version: '2026-07-28',
      method: 'server/discover',
      name: undefined,
    });
    expect(!mismatch.ok && mismatch.failure.code).toBe(-32020);
  });
});
