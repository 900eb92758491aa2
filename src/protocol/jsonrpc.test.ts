import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { classify, decode, errorResponse, isNotification, isRequest, isResponse } from './jsonrpc.js';

describe('classify', () => {
  it('sorts requests, notifications and responses', () => {
    expect(classify({ jsonrpc: '2.0', id: 1, method: 'ping' }).kind).toBe('request');
    expect(classify({ jsonrpc: '2.0', id: 'a', method: 'ping', params: {} }).kind).toBe('request');
    expect(classify({ jsonrpc: '2.0', method: 'notifications/initialized' }).kind).toBe('notification');
    expect(classify({ jsonrpc: '2.0', id: 1, result: {} }).kind).toBe('response');
    expect(classify({ jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x' } }).kind).toBe('response');
  });

  it.each([
    ['not an object', 42],
    ['null', null],
    ['an array element that is a string', 'x'],
    ['wrong version', { jsonrpc: '1.0', id: 1, method: 'ping' }],
    ['numeric method', { jsonrpc: '2.0', id: 1, method: 5 }],
    ['array params', { jsonrpc: '2.0', id: 1, method: 'ping', params: [1] }],
    ['fractional id', { jsonrpc: '2.0', id: 1.5, method: 'ping' }],
    ['object id', { jsonrpc: '2.0', id: {}, method: 'ping' }],
    ['neither kind', { jsonrpc: '2.0', id: 1 }],
    ['response with a bad id', { jsonrpc: '2.0', id: true, result: {} }],
  ])('rejects %s with -32600', (_name, value) => {
    const c = classify(value);
    expect(c.kind).toBe('invalid');
    if (c.kind === 'invalid') expect(c.error.error.code).toBe(ErrorCode.InvalidRequest);
  });

  it('keeps a usable id in the Invalid Request answer', () => {
    const c = classify({ jsonrpc: '2.0', id: 7, method: 3 });
    expect(c.kind === 'invalid' && c.error.id).toBe(7);
  });
});

describe('helpers', () => {
  it('decodes JSON or reports failure', () => {
    expect(decode('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(decode('{a')).toEqual({ ok: false });
  });

  it('builds error responses with and without data', () => {
    expect(errorResponse(1, -1, 'm')).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -1, message: 'm' } });
    expect(errorResponse(null, -1, 'm', { x: 1 }).error.data).toEqual({ x: 1 });
  });

  it('narrows message kinds', () => {
    expect(isRequest({ jsonrpc: '2.0', id: 1, method: 'a' })).toBe(true);
    expect(isNotification({ jsonrpc: '2.0', method: 'a' })).toBe(true);
    expect(isResponse({ jsonrpc: '2.0', id: 1, result: 1 })).toBe(true);
  });
});
