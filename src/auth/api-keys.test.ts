import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  apiKeyInfo,
  ApiKeyVerifier,
  createApiKey,
  InMemoryApiKeyDirectory,
  looksLikeApiKey,
  type ApiKeyDirectory,
} from './api-keys.js';

const code = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code,
  );

describe('API keys', () => {
  it('are created as mcpd_<id>_<secret>, stored as a sha256 hash only, and verify into an endpoint role', async () => {
    const dir = new InMemoryApiKeyDirectory();
    const t0 = Date.UTC(2030, 0, 1);
    const { key, record } = await createApiKey(dir, {
      endpointId: 'ep1',
      role: 'editor',
      label: 'CI',
      createdBy: 'local:alice',
      now: () => t0,
    });
    expect(key).toMatch(/^mcpd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key.split('_')[1]).toBe(record.id);
    expect(record).toEqual({
      id: record.id,
      endpointId: 'ep1',
      role: 'editor',
      hash: createHash('sha256').update(key).digest('hex'),
      created_at: '2030-01-01T00:00:00.000Z',
      created_by: 'local:alice',
      label: 'CI',
    });
    expect(JSON.stringify(await dir.list('ep1'))).not.toContain(key.slice(22));
    expect(apiKeyInfo(record)).not.toHaveProperty('hash');
    const p = await new ApiKeyVerifier(dir).verify(key);
    expect(p).toMatchObject({
      id: `api-key:${record.id}`,
      name: 'CI',
      kind: 'api-key',
      globalAdmin: false,
      scopes: [],
    });
    expect([...p.roles]).toEqual([['ep1', 'editor']]);
    expect(p.expiresAt).toBeUndefined();
  });

  it('refuses malformed, unknown, altered, revoked and expired keys', async () => {
    const dir = new InMemoryApiKeyDirectory();
    let now = Date.UTC(2030, 0, 1);
    const verifier = new ApiKeyVerifier(dir, { now: () => now });
    const { key, record } = await createApiKey(dir, {
      endpointId: 'ep1',
      role: 'caller',
      expiresAt: new Date(now + 60_000),
      now: () => now,
    });
    const p = await verifier.verify(key);
    expect([p.name, p.expiresAt]).toEqual([`api-key:${record.id}`, Math.floor(now / 1000) + 60]);
    expect(await code(verifier.verify('mcpd_short'))).toBe('MCPD_AUTH_INVALID');
    expect(await code(verifier.verify(key.replace(record.id, '0123456789abcdef')))).toBe('MCPD_AUTH_INVALID');
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    await expect(verifier.verify(key.slice(0, -1) + last)).rejects.toThrow('API key is not valid');
    now += 60_000;
    await expect(verifier.verify(key)).rejects.toMatchObject({ code: 'MCPD_AUTH_EXPIRED' });
    expect(await dir.revoke(record.id, '2030-01-02T00:00:00.000Z')).toBe(true);
    expect(await dir.revoke(record.id, '2031-01-01T00:00:00.000Z')).toBe(true);
    expect((await dir.get(record.id))?.revoked_at).toBe('2030-01-02T00:00:00.000Z');
    await expect(verifier.verify(key)).rejects.toThrow('API key has been revoked');
    expect(await dir.revoke('ffffffffffffffff', 'x')).toBe(false);
  });

  it('lists an endpoint’s keys oldest first', async () => {
    const dir = new InMemoryApiKeyDirectory();
    let t = Date.UTC(2030, 0, 2);
    const a = await createApiKey(dir, { endpointId: 'ep1', role: 'caller', now: () => t });
    t -= 86_400_000;
    const b = await createApiKey(dir, { endpointId: 'ep1', role: 'admin', now: () => t });
    await createApiKey(dir, { endpointId: 'ep2', role: 'admin' });
    expect((await dir.list('ep1')).map((r) => r.id)).toEqual([b.record.id, a.record.id]);
    expect(await dir.list('nope')).toEqual([]);
  });

  it('refuses bad endpoint ids and roles at creation', async () => {
    const dir = new InMemoryApiKeyDirectory();
    await expect(createApiKey(dir, { endpointId: 'a/b', role: 'caller' })).rejects.toThrow(TypeError);
    // @ts-expect-error: not a role
    await expect(createApiKey(dir, { endpointId: 'ep1', role: 'owner' })).rejects.toThrow('Invalid role');
  });

  it('reports a failing directory as unavailable, not as a bad key', async () => {
    const broken: ApiKeyDirectory = {
      get: () => Promise.reject(new Error('store down')),
      put: () => Promise.resolve(),
      revoke: () => Promise.resolve(false),
      list: () => Promise.resolve([]),
    };
    const { key } = await createApiKey(new InMemoryApiKeyDirectory(), { endpointId: 'ep1', role: 'caller' });
    await expect(new ApiKeyVerifier(broken).verify(key)).rejects.toMatchObject({
      code: 'MCPD_AUTH_UNAVAILABLE',
    });
  });

  it('routes on the prefix', () => {
    expect(looksLikeApiKey('mcpd_x')).toBe(true);
    expect(looksLikeApiKey('eyJ.x.y')).toBe(false);
    const v = new ApiKeyVerifier(new InMemoryApiKeyDirectory());
    expect(v.accepts({ kind: 'api-key' })).toBe(true);
    expect(v.accepts({ kind: 'opaque' })).toBe(false);
  });
});
