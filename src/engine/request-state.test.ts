import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RequestStateCodec, type StateBinding } from './request-state.js';

const binding: StateBinding = {
  principal: 'alice',
  endpointId: 'default',
  method: 'tools/call',
  target: 'ask',
  args: { a: 1 },
};

describe('RequestStateCodec', () => {
  it('opens what it sealed, and each seal differs', () => {
    const codec = RequestStateCodec.create('a shared secret for all instances');
    const a = codec.seal(binding, { answers: { user_name: { action: 'accept' } } });
    const b = codec.seal(binding, { answers: { user_name: { action: 'accept' } } });
    expect(a).not.toBe(b);
    expect(codec.open(a, binding)).toEqual({ answers: { user_name: { action: 'accept' } } });
    expect(RequestStateCodec.create('a shared secret for all instances').open(a, binding)).toBeDefined();
  });

  it('refuses tampered, foreign, rebound and malformed states', () => {
    const codec = RequestStateCodec.create(undefined);
    const token = codec.seal(binding, { answers: {} });
    expect(codec.open(`${token}-TAMPERED`, binding)).toBeUndefined();
    expect(codec.open(`x${token}`, binding)).toBeUndefined();
    expect(RequestStateCodec.create(undefined).open(token, binding)).toBeUndefined();
    expect(codec.open(token, { ...binding, target: 'other' })).toBeUndefined();
    expect(codec.open(token, { ...binding, args: { a: 2 } })).toBeUndefined();
    expect(codec.open(token, { ...binding, endpointId: 'tenant-b' })).toBeUndefined();
    expect(codec.open(token, { ...binding, principal: 'mallory' })).toBeUndefined();
    expect(codec.open('no-dot', binding)).toBeUndefined();
    expect(codec.open('.abc', binding)).toBeUndefined();
  });

  it('refuses an expired state', () => {
    let now = 1_000;
    const codec = new RequestStateCodec(Buffer.from('k'.repeat(32)), 500, () => now);
    const token = codec.seal(binding, { answers: {} });
    now = 1_400;
    expect(codec.open(token, binding)).toBeDefined();
    now = 1_600;
    expect(codec.open(token, binding)).toBeUndefined();
  });

  it('refuses a validly signed payload that is not JSON', () => {
    const key = Buffer.from('k'.repeat(32));
    const codec = new RequestStateCodec(key, 1000);
    const body = Buffer.from('not json').toString('base64url');
    const mac = createHmac('sha256', key).update(body).digest('base64url');
    expect(codec.open(`${body}.${mac}`, binding)).toBeUndefined();
  });
});
