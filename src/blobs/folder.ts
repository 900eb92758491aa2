/**
 * The folder BlobStore (the default): one file per key under a root directory. Writes go to a temp file in the
 * target directory and are renamed into place, so readers see the old bytes or the new ones, never a mix. Keys
 * are validated with `checkKey`, and every path is resolved through symlinks and must stay under the real root
 * (a symlink swapped in between that check and the I/O is out of scope: the root belongs to the daemon). A
 * folder cannot hold both `a` and `a/b`, unlike S3: the second put fails with MCPD_BLOB_UNAVAILABLE.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, realpath, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { BlobError, checkKey, type BlobStore } from './index.js';

/** Temp files start with this; `~` is outside the key alphabet, so no key can ever name one. */
const TMP = '.tmp~';

function errno(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** True when `path` lies strictly below `base`. */
function under(path: string, base: string): boolean {
  return path.startsWith(base.endsWith(sep) ? base : base + sep) && path !== base;
}

function isMissing(err: unknown): boolean {
  const code = errno(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function createFolderBlobStore(root: string): BlobStore {
  const rootAbs = resolve(root);
  let rootReal: Promise<string> | undefined;

  /** The root's real path, creating the root on first use. */
  function realRoot(): Promise<string> {
    if (!rootReal) {
      const pending = (async () => {
        await mkdir(rootAbs, { recursive: true });
        return realpath(rootAbs);
      })();
      // after a failure (root not creatable yet), try again on the next call
      pending.catch(() => {
        if (rootReal === pending) rootReal = undefined;
      });
      rootReal = pending;
    }
    return rootReal;
  }

  /** The lexical path of a key; `checkKey` already refuses `..`, absolute paths and backslashes. */
  function lexical(key: string): string {
    checkKey(key);
    const path = resolve(rootAbs, ...key.split('/'));
    if (!under(path, rootAbs)) throw escape(key);
    return path;
  }

  function escape(key: string): BlobError {
    return new BlobError(
      'MCPD_BLOB_INVALID_KEY',
      `Blob key resolves outside the blob root: ${JSON.stringify(key)}`,
    );
  }

  /** `path` with symlinks resolved as far as it exists (the missing tail appended as is). */
  async function realish(path: string): Promise<string> {
    try {
      return await realpath(path);
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw err;
      const parent = dirname(path);
      if (parent === path) throw err;
      return join(await realish(parent), basename(path));
    }
  }

  /** The real path of a key, refused when a symlink takes it outside the root. */
  async function locate(key: string): Promise<string> {
    const path = lexical(key);
    const base = await realRoot();
    const real = await realish(path);
    if (!under(real, base)) throw escape(key);
    return real;
  }

  /** Runs an fs operation, turning unexpected failures into MCPD_BLOB_UNAVAILABLE. */
  async function guard<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BlobError) throw err;
      throw new BlobError(
        'MCPD_BLOB_UNAVAILABLE',
        `Blob folder ${op} failed for ${JSON.stringify(key)}: ${errno(err) ?? String(err)}`,
        { cause: err },
      );
    }
  }

  async function writeOnce(target: string, body: Buffer): Promise<void> {
    const dir = dirname(target);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `${TMP}${randomUUID()}`);
    try {
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  /** Removes empty directories from `dir` up to (not including) the root; stops at the first non-empty one. */
  async function prune(dir: string, base: string): Promise<void> {
    while (under(dir, base)) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
      dir = dirname(dir);
    }
  }

  async function walk(dir: string, rel: string, first: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const entry of entries) {
      // Only the first level is narrowed by the partial last segment of the prefix (`bundles/ep1` → `ep1*`).
      if (!entry.name.startsWith(first) || entry.name.startsWith(TMP)) continue;
      const key = rel + entry.name;
      if (entry.isDirectory()) {
        await walk(join(dir, entry.name), `${key}/`, '', out);
      } else if (entry.isFile()) {
        try {
          out.push(checkKey(key));
        } catch {
          // a stray file whose name is no valid key (editor backups, OS metadata): not ours
        }
      }
      // symlinks are not followed: they could point outside the root
    }
  }

  return {
    kind: 'folder',

    async put(key, body) {
      await guard('put', key, async () => {
        // A concurrent delete may prune the directory between mkdir and open/rename: retry a few times.
        for (let attempt = 1; ; attempt++) {
          const target = await locate(key);
          try {
            await writeOnce(target, body);
            return;
          } catch (err) {
            if (errno(err) !== 'ENOENT' || attempt >= 3) throw err;
          }
        }
      });
    },

    async get(key) {
      return guard('get', key, async () => {
        try {
          return await readFile(await locate(key));
        } catch (err) {
          if (isMissing(err) || errno(err) === 'EISDIR') return undefined;
          throw err;
        }
      });
    },

    async has(key) {
      return guard('has', key, async () => {
        try {
          return (await stat(await locate(key))).isFile();
        } catch (err) {
          if (isMissing(err)) return false;
          throw err;
        }
      });
    },

    async delete(key) {
      await guard('delete', key, async () => {
        const base = await realRoot();
        let target;
        try {
          target = await locate(key);
          await unlink(target);
        } catch (err) {
          const code = errno(err);
          // EISDIR/EPERM: the key names a directory of other keys, so there is no object to remove
          if (isMissing(err) || code === 'EISDIR' || code === 'EPERM') return;
          throw err;
        }
        await prune(dirname(target), base);
      });
    },

    async list(prefix) {
      checkKey(prefix, true);
      return guard('list', prefix, async () => {
        const cut = prefix.lastIndexOf('/') + 1;
        const dirPart = prefix.slice(0, cut);
        const first = prefix.slice(cut);
        const base = await realRoot();
        const dir = dirPart === '' ? base : await realish(join(base, ...dirPart.slice(0, -1).split('/')));
        if (dir !== base && !under(dir, base)) throw escape(prefix);
        const out: string[] = [];
        await walk(dir, dirPart, first, out);
        return out.sort();
      });
    },

    async close() {
      // nothing to release
    },
  };
}
