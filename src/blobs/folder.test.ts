/**
 * The folder BlobStore: the shared contract on a fresh temp directory, plus what only a filesystem can get
 * wrong (temp files, symlinks out of the root, files in the way).
 */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobContract } from './contract.js';
import { createFolderBlobStore } from './folder.js';
import type { BlobStore } from './index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpd-blobs-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Every file below `dir`, relative, sorted. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

blobContract('folder', async () => createFolderBlobStore(await tempDir()));

describe('folder BlobStore', () => {
  let root: string;
  let outside: string;
  let store: BlobStore;

  beforeAll(async () => {
    root = await tempDir();
    outside = await tempDir();
    store = createFolderBlobStore(root);
  });

  it('is kind folder and stores keys as plain files', async () => {
    expect(store.kind).toBe('folder');
    await store.put('plain/bundles/ep1/pkg.zip', Buffer.from('zip'));
    expect(await files(join(root, 'plain'))).toEqual([join('bundles', 'ep1', 'pkg.zip')]);
  });

  it('leaves no temp files behind after puts, overwrites and concurrent puts', async () => {
    for (let i = 0; i < 5; i++) await store.put('tmpcheck/a.bin', Buffer.alloc(1000, i));
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.put(`tmpcheck/b${i % 3}.bin`, Buffer.alloc(5000, i))),
    );
    expect(await files(join(root, 'tmpcheck'))).toEqual(['a.bin', 'b0.bin', 'b1.bin', 'b2.bin']);
  });

  it('creates the root on first use', async () => {
    const fresh = join(await tempDir(), 'not', 'yet');
    const s = createFolderBlobStore(fresh);
    expect(await s.list('')).toEqual([]);
    await s.put('k', Buffer.from('v'));
    expect(await s.list('')).toEqual(['k']);
    expect((await s.get('k'))?.toString()).toBe('v');
    await s.close();
  });

  it('hides temp files and stray names that are no valid keys from list', async () => {
    await mkdir(join(root, 'stray'), { recursive: true });
    await writeFile(join(root, 'stray', '.tmp~0f1e2d3c'), 'partial');
    await writeFile(join(root, 'stray', 'has space.txt'), 'x');
    await store.put('stray/real.bin', Buffer.from('r'));
    expect(await store.list('stray/')).toEqual(['stray/real.bin']);
  });

  it('prunes directories a delete leaves empty, up to the root', async () => {
    await store.put('prune/a/b/c.bin', Buffer.from('c'));
    await store.put('prune/keep.bin', Buffer.from('k'));
    await store.delete('prune/a/b/c.bin');
    expect(await readdir(join(root, 'prune'))).toEqual(['keep.bin']);
  });

  it('treats a key naming a directory, or crossing a file, as missing', async () => {
    await store.put('shape/dir/file.bin', Buffer.from('f'));
    expect(await store.get('shape/dir')).toBeUndefined();
    expect(await store.has('shape/dir')).toBe(false);
    await expect(store.delete('shape/dir')).resolves.toBeUndefined();
    expect(await store.get('shape/dir/file.bin/below')).toBeUndefined();
    expect(await store.has('shape/dir/file.bin/below')).toBe(false);
    await expect(store.delete('shape/dir/file.bin/below')).resolves.toBeUndefined();
    expect(await store.has('shape/dir/file.bin')).toBe(true);
  });

  it('reports a put that a file blocks as MCPD_BLOB_UNAVAILABLE', async () => {
    // a folder cannot hold both `k` and `k/x`, unlike S3
    await store.put('blocked/k', Buffer.from('file'));
    await expect(store.put('blocked/k/x', Buffer.from('x'))).rejects.toMatchObject({
      code: 'MCPD_BLOB_UNAVAILABLE',
      message: expect.stringContaining('blocked/k/x'),
    });
  });

  it('fails a put over a directory of other keys cleanly, leaving no temp file', async () => {
    await store.put('overdir/d/inner.bin', Buffer.from('i'));
    await expect(store.put('overdir/d', Buffer.from('x'))).rejects.toMatchObject({
      code: 'MCPD_BLOB_UNAVAILABLE',
    });
    expect(await readdir(join(root, 'overdir'))).toEqual(['d']);
    expect(await store.list('overdir/')).toEqual(['overdir/d/inner.bin']);
  });

  it('keeps puts working while deletes prune their directory', async () => {
    for (let round = 0; round < 100; round++) {
      await store.put('churn/d/y.bin', Buffer.from('y'));
      await Promise.all([
        store.delete('churn/d/y.bin'),
        store.put('churn/d/x.bin', Buffer.from(`x${round}`)),
      ]);
      expect((await store.get('churn/d/x.bin'))?.toString()).toBe(`x${round}`);
      await store.delete('churn/d/x.bin');
    }
    expect(await readdir(root)).not.toContain('churn');
  });

  it('reports an unusable root as MCPD_BLOB_UNAVAILABLE, and recovers once it is usable', async () => {
    const parent = await tempDir();
    const rootPath = join(parent, 'root');
    await writeFile(rootPath, 'a file where the root should be');
    const s = createFolderBlobStore(rootPath);
    await expect(s.get('k')).rejects.toMatchObject({ code: 'MCPD_BLOB_UNAVAILABLE' });
    await expect(s.list('')).rejects.toMatchObject({ code: 'MCPD_BLOB_UNAVAILABLE' });
    await rm(rootPath);
    await s.put('k', Buffer.from('v'));
    expect((await s.get('k'))?.toString()).toBe('v');
  });

  describe('symlinks', () => {
    beforeAll(async () => {
      await writeFile(join(outside, 'secret.txt'), 'secret');
      await mkdir(join(root, 'links'), { recursive: true });
      await symlink(outside, join(root, 'links', 'out'), 'dir');
      await symlink(join(outside, 'secret.txt'), join(root, 'links', 'secret.txt'), 'file');
      await mkdir(join(root, 'links', 'real'), { recursive: true });
      await writeFile(join(root, 'links', 'real', 'inside.txt'), 'inside');
      await symlink(join(root, 'links', 'real'), join(root, 'links', 'in'), 'dir');
    });
    const invalid = { code: 'MCPD_BLOB_INVALID_KEY' };

    it('refuses reads through a symlinked directory or file pointing outside the root', async () => {
      await expect(store.get('links/out/secret.txt')).rejects.toMatchObject(invalid);
      await expect(store.has('links/out/secret.txt')).rejects.toMatchObject(invalid);
      await expect(store.get('links/secret.txt')).rejects.toMatchObject(invalid);
      await expect(store.list('links/out/')).rejects.toMatchObject(invalid);
    });

    it('refuses writes and deletes through a symlink pointing outside the root', async () => {
      await expect(store.put('links/out/new/x.txt', Buffer.from('x'))).rejects.toMatchObject(invalid);
      await expect(store.put('links/out/secret.txt', Buffer.from('x'))).rejects.toMatchObject(invalid);
      await expect(store.delete('links/out/secret.txt')).rejects.toMatchObject(invalid);
      expect(await files(outside)).toEqual(['secret.txt']);
      expect(await readdir(outside)).toEqual(['secret.txt']);
    });

    it('follows symlinks that stay inside the root, and does not list symlinks', async () => {
      expect((await store.get('links/in/inside.txt'))?.toString()).toBe('inside');
      await store.put('links/in/other.txt', Buffer.from('other'));
      expect(await store.has('links/real/other.txt')).toBe(true);
      expect(await store.list('links/')).toEqual(['links/real/inside.txt', 'links/real/other.txt']);
    });
  });
});
