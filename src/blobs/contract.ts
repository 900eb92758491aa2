/**
 * The BlobStore contract: one suite every adapter must pass (folder, S3). Call `blobContract(name, open)` from
 * an adapter's test file; `open` gives a ready store (bucket created), closed after the suite. Keys in the #
 * and = forms below are real: `bundles/{endpoint}#{part}/...` and content-addressed names.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from './index.js';

const INVALID_KEYS = ['../x', '/abs', 'a/../b', 'a\\b', '', 'a//b', './a', 'a/', 'sp ace'];

export interface BlobContractOptions {
  /**
   * Whether objects are replaced atomically (default true): reads racing an overwrite see whole objects, and
   * concurrent puts to one key leave one of the values whole. Off only for emulators that write in place
   * (s3rver); every production adapter must keep it on.
   */
  atomicWrites?: boolean;
}

export function blobContract(
  name: string,
  open: () => Promise<BlobStore>,
  options: BlobContractOptions = {},
): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    let n = 0;
    /** A prefix of its own per test, so tests never see each other's objects. */
    const scope = () => `c${++n}-${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('has a kind', () => {
      expect(store.kind).toMatch(/^[a-z0-9]+$/);
    });

    it('round-trips all 256 byte values', async () => {
      const key = `${scope()}/bytes.bin`;
      const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await store.put(key, body, 'application/octet-stream');
      const got = await store.get(key);
      expect(Buffer.isBuffer(got)).toBe(true);
      expect(got?.equals(body)).toBe(true);
    });

    it('round-trips a 5 MB body and an empty one', async () => {
      const p = scope();
      const big = randomBytes(5 * 1024 * 1024);
      await store.put(`${p}/big.bin`, big);
      const got = await store.get(`${p}/big.bin`);
      expect(got?.length).toBe(big.length);
      expect(got?.equals(big)).toBe(true);
      await store.put(`${p}/empty.bin`, Buffer.alloc(0));
      expect((await store.get(`${p}/empty.bin`))?.length).toBe(0);
      expect(await store.has(`${p}/empty.bin`)).toBe(true);
    });

    it('replaces on overwrite, shorter bodies included', async () => {
      const key = `${scope()}/mcp_content/payload.json`;
      await store.put(
        key,
        Buffer.from('{"first":"a much longer value than the second"}'),
        'application/json',
      );
      await store.put(key, Buffer.from('{"second":1}'), 'application/json');
      expect((await store.get(key))?.toString()).toBe('{"second":1}');
    });

    it('answers undefined and false for a missing key', async () => {
      const p = scope();
      expect(await store.get(`${p}/missing.json`)).toBeUndefined();
      expect(await store.has(`${p}/missing.json`)).toBe(false);
      expect(await store.get(`${p}/deep/er/missing.json`)).toBeUndefined();
      expect(await store.has(`${p}/deep/er/missing.json`)).toBe(false);
    });

    it('has is true after put and false after delete', async () => {
      const key = `${scope()}/bundles/ep1/pkg.zip`;
      await store.put(key, Buffer.from('zip'));
      expect(await store.has(key)).toBe(true);
      await store.delete(key);
      expect(await store.has(key)).toBe(false);
      expect(await store.get(key)).toBeUndefined();
    });

    it('deletes only the named key and ignores missing keys', async () => {
      const p = scope();
      await store.put(`${p}/a/one.bin`, Buffer.from('1'));
      await store.put(`${p}/a/two.bin`, Buffer.from('2'));
      await store.delete(`${p}/a/one.bin`);
      await expect(store.delete(`${p}/a/one.bin`)).resolves.toBeUndefined();
      await expect(store.delete(`${p}/never/was.bin`)).resolves.toBeUndefined();
      expect(await store.get(`${p}/a/one.bin`)).toBeUndefined();
      expect((await store.get(`${p}/a/two.bin`))?.toString()).toBe('2');
      await store.delete(`${p}/a/two.bin`);
      expect(await store.list(`${p}/`)).toEqual([]);
      // the (possibly pruned) path can be written again
      await store.put(`${p}/a/one.bin`, Buffer.from('again'));
      expect((await store.get(`${p}/a/one.bin`))?.toString()).toBe('again');
    });

    it('lists sorted keys under a prefix and not those of a sibling prefix', async () => {
      const p = scope();
      const ep1 = [`${p}/bundles/ep1/z.zip`, `${p}/bundles/ep1/a.zip`, `${p}/bundles/ep1/sub/deep/m.zip`];
      const others = [`${p}/bundles/ep10/a.zip`, `${p}/bundles/ep1-old.zip`, `${p}/mcp_content/x.json`];
      for (const key of [...others, ...ep1]) await store.put(key, Buffer.from(key));
      expect(await store.list(`${p}/bundles/ep1/`)).toEqual([...ep1].sort());
      expect(await store.list(`${p}/bundles/ep10/`)).toEqual([`${p}/bundles/ep10/a.zip`]);
      expect(await store.list(`${p}/nothing/`)).toEqual([]);
      expect(await store.list(`${p}/bundles/nothing`)).toEqual([]);
      // without a trailing slash a prefix is a plain string prefix, as in S3
      expect(await store.list(`${p}/bundles/ep1`)).toEqual(
        [...ep1, `${p}/bundles/ep10/a.zip`, `${p}/bundles/ep1-old.zip`].sort(),
      );
      const all = await store.list(`${p}/`);
      expect(all).toEqual([...ep1, ...others].sort());
      expect(all).toEqual([...all].sort());
    });

    it('accepts keys with #, =, +, @ and dots', async () => {
      const p = scope();
      const keys = [`${p}/bundles/ep1#part/pkg.zip`, `${p}/bundles/v=1+2@x/pkg.v1.0.zip`];
      for (const key of keys) {
        await store.put(key, Buffer.from(key));
        expect((await store.get(key))?.toString()).toBe(key);
        expect(await store.has(key)).toBe(true);
      }
      expect(await store.list(`${p}/bundles/`)).toEqual([...keys].sort());
      expect(await store.list(`${p}/bundles/ep1#part/`)).toEqual([keys[0]]);
      await store.delete(keys[0]!);
      expect(await store.has(keys[0]!)).toBe(false);
    });

    it.each(INVALID_KEYS)('refuses the invalid key %j with MCPD_BLOB_INVALID_KEY', async (key) => {
      const invalid = { code: 'MCPD_BLOB_INVALID_KEY' };
      await expect(store.put(key, Buffer.from('x'))).rejects.toMatchObject(invalid);
      await expect(store.get(key)).rejects.toMatchObject(invalid);
      await expect(store.has(key)).rejects.toMatchObject(invalid);
      await expect(store.delete(key)).rejects.toMatchObject(invalid);
    });

    it('refuses an invalid list prefix', async () => {
      for (const prefix of ['../', '/abs/', 'a/../', 'a\\b/']) {
        await expect(store.list(prefix)).rejects.toMatchObject({ code: 'MCPD_BLOB_INVALID_KEY' });
      }
    });

    it.skipIf(options.atomicWrites === false)(
      'leaves one complete value after concurrent puts to the same key',
      async () => {
        const p = scope();
        const key = `${p}/race.bin`;
        const size = 256 * 1024;
        const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(size, i + 1));
        await Promise.all(bodies.map((body) => store.put(key, body)));
        const got = await store.get(key);
        expect(got?.length).toBe(size);
        const fill = got?.[0] ?? 0;
        expect(fill).toBeGreaterThanOrEqual(1);
        expect(got?.equals(Buffer.alloc(size, fill))).toBe(true);
        expect(await store.list(`${p}/`)).toEqual([key]);
      },
    );

    it.skipIf(options.atomicWrites === false)(
      'serves whole objects to readers racing an overwrite',
      async () => {
        const key = `${scope()}/busy.bin`;
        const size = 128 * 1024;
        await store.put(key, Buffer.alloc(size, 1));
        const writes = Array.from({ length: 6 }, (_, i) => store.put(key, Buffer.alloc(size, i + 2)));
        const reads = Array.from({ length: 6 }, () => store.get(key));
        await Promise.all(writes);
        for (const got of await Promise.all(reads)) {
          expect(got?.length).toBe(size);
          expect(got?.equals(Buffer.alloc(size, got[0] ?? 0))).toBe(true);
        }
      },
    );
  });
}
