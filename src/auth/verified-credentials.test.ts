import { describe, expect, it } from 'vitest';
import type { Principal } from './principal.js';
import { VERIFIED_TTL_MS, VerifiedCredentials } from './verified-credentials.js';

const principal = (id: string, expiresAt?: number): Principal => ({
  id,
  name: id,
  kind: 'user',
  globalAdmin: false,
  roles: new Map([['ep', 'caller']]),
  scopes: [],
  ...(expiresAt === undefined ? {} : { expiresAt }),
});

describe('VerifiedCredentials', () => {
  it('answers only for the same header on the same endpoint, within the TTL', () => {
    let now = 1_000_000;
    const v = new VerifiedCredentials(VERIFIED_TTL_MS, () => now);
    const alice = principal('local:alice');
    v.remember('ep', 'Bearer a', alice);
    expect(v.lookup('ep', 'Bearer a')).toBe(alice);
    expect(v.lookup('ep', 'Bearer b')).toBeUndefined();
    expect(v.lookup('other', 'Bearer a')).toBeUndefined();
    expect(v.lookup('ep', undefined)).toBeUndefined();
    now += VERIFIED_TTL_MS - 1;
    expect(v.lookup('ep', 'Bearer a')).toBe(alice);
    now += 1;
    expect(v.lookup('ep', 'Bearer a')).toBeUndefined();
  });

  it("never outlives the credentials' own expiry", () => {
    let now = 1_000_000_000;
    const v = new VerifiedCredentials(60_000, () => now);
    v.remember('ep', 'Bearer short', principal('oidc:x', now / 1000 + 0.5)); // expires in 500 ms
    now += 499;
    expect(v.lookup('ep', 'Bearer short')?.id).toBe('oidc:x');
    now += 1;
    expect(v.lookup('ep', 'Bearer short')).toBeUndefined();
  });

  it('forgets everything on clear, and keeps a bounded number of entries, the newest', () => {
    const v = new VerifiedCredentials();
    v.remember('ep', 'Bearer a', principal('a'));
    v.clear();
    expect(v.lookup('ep', 'Bearer a')).toBeUndefined();
    for (let i = 0; i <= 4_096; i++) v.remember('ep', `Bearer ${i}`, principal(String(i)));
    expect(v.lookup('ep', 'Bearer 0')).toBeUndefined();
    expect(v.lookup('ep', 'Bearer 1')?.id).toBe('1');
    expect(v.lookup('ep', 'Bearer 4096')?.id).toBe('4096');
    // Remembering again refreshes an entry's place: it is not the next one evicted.
    v.remember('ep', 'Bearer 1', principal('1'));
    v.remember('ep', 'Bearer new', principal('new'));
    expect(v.lookup('ep', 'Bearer 1')?.id).toBe('1');
    expect(v.lookup('ep', 'Bearer 2')).toBeUndefined();
  });
});
