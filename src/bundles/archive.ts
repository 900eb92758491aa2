/**
 * Zip archives of tenant code bundles. Tenants upload bundles as zip files, so `extractZip` treats every archive
 * as hostile: entry names may not leave the bundle folder, symlinks are refused, entry count and inflated size
 * are capped on the bytes actually produced while streaming (a lying header cannot bomb us), CRCs are checked,
 * and the result appears at the target only once everything succeeded (temp sibling folder + atomic rename).
 * `packDirectory` is the inverse and is deterministic: the same folder always gives byte-identical zips, which
 * content addressing (`sha256`) relies on.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import yazl from 'yazl';

export type ArchiveErrorCode =
  | 'MCPD_BUNDLE_ZIP_SLIP'
  | 'MCPD_BUNDLE_SYMLINK'
  | 'MCPD_BUNDLE_TOO_MANY_ENTRIES'
  | 'MCPD_BUNDLE_TOO_LARGE'
  | 'MCPD_BUNDLE_CORRUPT'
  | 'MCPD_BUNDLE_EMPTY';

export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
  constructor(
    readonly code: ArchiveErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ArchiveLimits {
  maxEntries: number;
  maxTotalBytes: number;
  maxEntryBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxEntries: 10_000,
  maxTotalBytes: 100 * 1024 * 1024,
  maxEntryBytes: 50 * 1024 * 1024,
});

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const FILE_MODE = 0o100644;

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * Extracts a zip into `targetDir`, which must not exist yet (a plain Error is thrown if it does). Extraction goes
 * into `${targetDir}.tmp-<random>`, renamed to `targetDir` on success and removed on any failure.
 */
export async function extractZip(
  zip: Buffer,
  targetDir: string,
  limits: Partial<ArchiveLimits> = {},
): Promise<{ files: number; bytes: number }> {
  const target = resolve(targetDir);
  if (await lstat(target).catch(() => undefined)) {
    throw new Error(`Bundle folder ${target} already exists`);
  }
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${randomBytes(8).toString('hex')}`;
  await mkdir(tmp, { mode: 0o755 });
  try {
    const result = await extractInto(zip, tmp, { ...DEFAULT_LIMITS, ...limits });
    await rename(tmp, target);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function extractInto(buf: Buffer, root: string, limits: ArchiveLimits) {
  let zipfile: ZipFile;
  try {
    // decodeStrings: false so that names are decoded and checked here, giving ZIP_SLIP rather than yauzl errors.
    zipfile = await yauzl.fromBufferPromise(buf, {
      lazyEntries: true,
      validateEntrySizes: true,
      decodeStrings: false,
    });
  } catch (err) {
    throw asArchiveError(err, undefined);
  }
  let files = 0;
  let bytes = 0;
  let name: string | undefined;
  try {
    if (zipfile.entryCount > limits.maxEntries) {
      throw new ArchiveError(
        'MCPD_BUNDLE_TOO_MANY_ENTRIES',
        `Bundle has ${zipfile.entryCount} entries, more than the limit of ${limits.maxEntries}`,
      );
    }
    for await (const entry of zipfile.eachEntry()) {
      const entryName = entryFileName(entry);
      name = entryName;
      if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
        throw new ArchiveError('MCPD_BUNDLE_SYMLINK', `Bundle entry "${entryName}" is a symbolic link`);
      }
      const dest = resolve(root, entryName);
      const rel = relative(root, dest);
      if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw escapes(entryName);
      if (entryName.endsWith('/')) {
        await mkdir(dest, { recursive: true, mode: 0o755 });
        continue;
      }
      if (rel === '') throw escapes(entryName);
      files += 1;
      await mkdir(dirname(dest), { recursive: true, mode: 0o755 });
      let entryBytes = 0;
      let crc = 0;
      const guard = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          entryBytes += chunk.length;
          bytes += chunk.length;
          if (entryBytes > limits.maxEntryBytes) {
            return callback(
              tooLarge(`Bundle entry "${entryName}" inflates to more than`, limits.maxEntryBytes),
            );
          }
          if (bytes > limits.maxTotalBytes) {
            return callback(tooLarge('Bundle inflates to more than', limits.maxTotalBytes));
          }
          crc = crc32(chunk, crc);
          callback(null, chunk);
        },
        flush(callback) {
          if (crc === entry.crc32) return callback();
          callback(
            new ArchiveError('MCPD_BUNDLE_CORRUPT', `Bundle entry "${entryName}" fails its CRC check`),
          );
        },
      });
      const source = await zipfile.openReadStreamPromise(entry);
      await pipeline(source, guard, createWriteStream(dest, { flags: 'wx', mode: 0o644 }));
    }
  } catch (err) {
    throw asArchiveError(err, name);
  } finally {
    zipfile.close();
  }
  if (files === 0) throw new ArchiveError('MCPD_BUNDLE_EMPTY', 'Bundle contains no files');
  return { files, bytes };
}

function entryFileName(entry: Entry): string {
  const { generalPurposeBitFlag, fileNameRaw, extraFields } = entry;
  const name = yauzl.getFileNameLowLevel(generalPurposeBitFlag, fileNameRaw, extraFields, true);
  if (
    name === '' ||
    name.includes('\0') ||
    name.includes('\\') ||
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    name.split('/').includes('..')
  ) {
    throw escapes(name);
  }
  return name;
}

const escapes = (name: string) =>
  new ArchiveError('MCPD_BUNDLE_ZIP_SLIP', `Bundle entry "${name}" escapes the bundle folder`);

const tooLarge = (what: string, limit: number) =>
  new ArchiveError('MCPD_BUNDLE_TOO_LARGE', `${what} the limit of ${limit} bytes`);

/** yauzl and zlib failures mean a broken archive; file-system failures other than name clashes pass through. */
function asArchiveError(err: unknown, name: string | undefined): Error {
  if (err instanceof ArchiveError) return err;
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as NodeJS.ErrnoException).code;
  const clash = code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR';
  if ('syscall' in error && !clash) return error;
  const where = name === undefined ? 'Bundle is not a valid zip' : `Bundle entry "${name}" is corrupt`;
  const why = clash ? 'it clashes with another entry' : error.message;
  return new ArchiveError('MCPD_BUNDLE_CORRUPT', `${where}: ${why}`);
}

/** Zips every regular file under `dir` (sorted, forward-slash paths, fixed mtime and mode); refuses symlinks. */
export async function packDirectory(dir: string): Promise<Buffer> {
  const root = resolve(dir);
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const dirent of await readdir(join(root, rel), { withFileTypes: true })) {
      const path = rel === '' ? dirent.name : `${rel}/${dirent.name}`;
      if (dirent.isSymbolicLink()) {
        throw new ArchiveError('MCPD_BUNDLE_SYMLINK', `Bundle path "${path}" is a symbolic link`);
      }
      if (dirent.isDirectory()) await walk(path);
      else if (dirent.isFile()) files.push(path);
      // Sockets, FIFOs and devices are not bundle content and are left out.
    }
  };
  await walk('');
  files.sort((a, b) => (a < b ? -1 : 1)); // code-unit order, independent of locale
  const zip = new yazl.ZipFile();
  // Built from local-time fields at call time, so the DOS timestamp yazl writes is the same in every time zone.
  const mtime = new Date(2000, 0, 1);
  for (const path of files) {
    zip.addBuffer(await readFile(join(root, path)), path, {
      mtime,
      mode: FILE_MODE,
      forceDosTimestamp: true,
      compress: true,
    });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
