import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { ArchiveError, DEFAULT_LIMITS, extractZip, packDirectory, sha256 } from './archive.js';

import { rawZip } from '../../test/helpers/raw-zip.js';

const MiB = 1024 * 1024;

async function yazlZip(add: (zip: yazl.ZipFile) => void): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  add(zip);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let work: string;
let out: string;
let target: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'mcpd-archive-'));
  out = join(work, 'out');
  target = join(out, 'bundle');
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function expectRejected(
  zip: Buffer,
  code: string,
  message?: RegExp,
  limits = {},
): Promise<ArchiveError> {
  const err: unknown = await extractZip(zip, target, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ArchiveError);
  const archiveError = err as ArchiveError;
  expect(archiveError.name).toBe('ArchiveError');
  expect(archiveError.code).toBe(code);
  if (message) expect(archiveError.message).toMatch(message);
  // Nothing half-extracted: neither the target nor a temp sibling is left behind.
  expect(await readdir(out)).toEqual([]);
  return archiveError;
}

async function writeTree(root: string): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {
    'index.js': Buffer.from('export const x = 1;\n'),
    'lib/util.js': Buffer.from('export function f() {}\n'),
    'lib/deep/nested/data.bin': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256)),
    'empty.txt': Buffer.alloc(0),
    'ünïcode name.md': Buffer.from('# hi\n'),
  };
  for (const [path, data] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), data);
  }
  await mkdir(join(root, 'empty-dir'));
  return files;
}

describe('sha256', () => {
  it('hashes to lowercase hex', () => {
    expect(sha256(Buffer.from('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('packDirectory + extractZip', () => {
  it('round-trips a folder', async () => {
    const src = join(work, 'src');
    const files = await writeTree(src);
    const zip = await packDirectory(src);
    const result = await extractZip(zip, target);
    const total = Object.values(files).reduce((n, b) => n + b.length, 0);
    expect(result).toEqual({ files: Object.keys(files).length, bytes: total });
    for (const [path, data] of Object.entries(files)) {
      expect(await readFile(join(target, path))).toEqual(data);
      expect((await stat(join(target, path))).mode & 0o111).toBe(0);
    }
    expect(await readdir(out)).toEqual(['bundle']);
  });

  it('packs byte-identical zips regardless of mtimes, modes and time zone', async () => {
    const src = join(work, 'src');
    await writeTree(src);
    const first = await packDirectory(src);
    await utimes(join(src, 'index.js'), new Date('2021-05-05'), new Date('2021-05-05'));
    await chmod(join(src, 'lib/util.js'), 0o755);
    const savedTz = process.env['TZ'];
    try {
      process.env['TZ'] = 'Asia/Tokyo';
      const tokyo = await packDirectory(src);
      process.env['TZ'] = 'America/Los_Angeles';
      const la = await packDirectory(src);
      expect(sha256(tokyo)).toBe(sha256(first));
      expect(sha256(la)).toBe(sha256(first));
    } finally {
      if (savedTz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = savedTz;
    }
  });

  it('stores entries sorted with forward slashes', async () => {
    const src = join(work, 'src');
    await writeTree(src);
    const zip = await packDirectory(src);
    const names = ['empty.txt', 'index.js', 'lib/deep/nested/data.bin', 'lib/util.js', 'ünïcode name.md'];
    let at = 0;
    for (const name of names) {
      at = zip.indexOf(Buffer.from(name), at);
      expect(at).toBeGreaterThan(0);
    }
  });

  it('packDirectory refuses symlinks and names them', async () => {
    const src = join(work, 'src');
    await writeTree(src);
    await symlink('/etc/passwd', join(src, 'lib', 'passwd'));
    const err = await packDirectory(src).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveError);
    expect((err as ArchiveError).code).toBe('MCPD_BUNDLE_SYMLINK');
    expect((err as ArchiveError).message).toContain('"lib/passwd"');
  });
});

describe('extractZip', () => {
  it('creates directory entries and reports files and bytes', async () => {
    const zip = rawZip([
      { name: 'lib/', unixMode: 0o40755 },
      { name: 'lib/a.js', data: Buffer.from('a'), method: 8 },
      { name: 'assets/empty/', unixMode: 0o40755 },
      { name: './', unixMode: 0o40755 },
      { name: '..not-a-parent.js', data: Buffer.from('dots') },
    ]);
    expect(await extractZip(zip, target)).toEqual({ files: 2, bytes: 5 });
    expect(await readFile(join(target, '..not-a-parent.js'), 'utf8')).toBe('dots');
    expect(await readFile(join(target, 'lib/a.js'), 'utf8')).toBe('a');
    expect((await stat(join(target, 'assets/empty'))).isDirectory()).toBe(true);
  });

  it('refuses to extract over an existing folder', async () => {
    await mkdir(target, { recursive: true });
    const zip = rawZip([{ name: 'a.js', data: Buffer.from('a') }]);
    const err = await extractZip(zip, target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ArchiveError);
    expect((err as Error).message).toMatch(/already exists/);
  });

  it('rejects zip-slip and leaves nothing at the target or outside it', async () => {
    const zip = rawZip([
      { name: 'ok.js', data: Buffer.from('fine') },
      { name: '../evil.js', data: Buffer.from('pwned') },
    ]);
    await expectRejected(
      zip,
      'MCPD_BUNDLE_ZIP_SLIP',
      /Bundle entry "\.\.\/evil\.js" escapes the bundle folder/,
    );
    await expect(stat(join(out, 'evil.js'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(work, 'evil.js'))).rejects.toThrow(/ENOENT/);
  });

  it.each(['/tmp/x', 'C:/x', 'C:\\x', 'a\\..\\..\\x', 'a/../../x', 'a/..', '.', 'a\0b'])(
    'rejects the escaping name %j',
    async (name) => {
      await expectRejected(rawZip([{ name, data: Buffer.from('x') }]), 'MCPD_BUNDLE_ZIP_SLIP', /escapes/);
    },
  );

  it('rejects symlink entries', async () => {
    const zip = rawZip([
      { name: 'a.js', data: Buffer.from('a') },
      { name: 'link', data: Buffer.from('/etc/passwd'), unixMode: 0o120777 },
    ]);
    await expectRejected(zip, 'MCPD_BUNDLE_SYMLINK', /"link" is a symbolic link/);
  });

  it('rejects too many entries', async () => {
    const zip = rawZip(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}.js`, data: Buffer.from('x') })));
    await expectRejected(zip, 'MCPD_BUNDLE_TOO_MANY_ENTRIES', /5 entries.*limit of 3/, { maxEntries: 3 });
    expect(DEFAULT_LIMITS.maxEntries).toBe(10_000);
  });

  describe('zip bombs', () => {
    const zeros = Buffer.alloc(60 * MiB);
    const deflated = deflateRawSync(zeros);

    it('rejects an entry that inflates past the per-entry limit', async () => {
      const zip = await yazlZip((z) => z.addBuffer(zeros, 'bomb.bin'));
      expect(zip.length).toBeLessThan(MiB);
      await expectRejected(zip, 'MCPD_BUNDLE_TOO_LARGE', /"bomb\.bin" inflates to more than/, {
        maxEntryBytes: MiB,
      });
    });

    it('stops inflating as soon as the limit is passed', async () => {
      // Only the first tenth of the deflate stream is present: inflating past it would fail as corrupt, so
      // TOO_LARGE proves extraction stopped after about 1 MiB rather than reading the whole entry.
      const head = deflated.subarray(0, Math.floor(deflated.length / 10));
      expect(inflateRawSync(head, { finishFlush: constants.Z_SYNC_FLUSH }).length).toBeGreaterThan(2 * MiB);
      const zip = rawZip([
        { name: 'bomb.bin', method: 8, stored: head, size: zeros.length, crc: crc32(zeros) },
      ]);
      await expectRejected(zip, 'MCPD_BUNDLE_TOO_LARGE', /inflates to more than the limit of 1048576/, {
        maxEntryBytes: MiB,
      });
      await expectRejected(zip, 'MCPD_BUNDLE_CORRUPT', /"bomb\.bin" is corrupt/);
    });

    it('rejects a bundle whose entries together pass the total limit', async () => {
      const part = Buffer.alloc(600 * 1024, 1);
      const zip = await yazlZip((z) => {
        z.addBuffer(part, 'a.bin');
        z.addBuffer(part, 'b.bin');
      });
      await expectRejected(zip, 'MCPD_BUNDLE_TOO_LARGE', /^Bundle inflates to more than/, {
        maxTotalBytes: MiB,
      });
    });

    it('rejects a header that declares less than the entry inflates to', async () => {
      const data = Buffer.alloc(MiB);
      const zip = rawZip([{ name: 'liar.bin', method: 8, data, size: 100 }]);
      await expectRejected(zip, 'MCPD_BUNDLE_CORRUPT', /"liar\.bin" is corrupt: too many bytes/);
    });

    it('rejects a stored entry whose sizes disagree', async () => {
      const zip = rawZip([{ name: 'stored.bin', data: Buffer.from('abcdef'), size: 3 }]);
      await expectRejected(zip, 'MCPD_BUNDLE_CORRUPT', /size mismatch/);
    });
  });

  it('rejects a bad CRC', async () => {
    const zip = rawZip([{ name: 'a.js', data: Buffer.from('hello'), method: 8, crc: 1234 }]);
    await expectRejected(zip, 'MCPD_BUNDLE_CORRUPT', /"a\.js" fails its CRC check/);
  });

  it('rejects garbage and truncated archives', async () => {
    await expectRejected(Buffer.from('definitely not a zip file'), 'MCPD_BUNDLE_CORRUPT', /not a valid zip/);
    const good = rawZip([{ name: 'a.js', data: Buffer.from('hello') }]);
    await expectRejected(good.subarray(0, good.length - 10), 'MCPD_BUNDLE_CORRUPT');
    // Central directory intact, local file header wiped.
    const corrupt = Buffer.from(good);
    corrupt.fill(0, 0, 30);
    await expectRejected(corrupt, 'MCPD_BUNDLE_CORRUPT', /"a\.js" is corrupt/);
  });

  it('rejects unsupported compression methods', async () => {
    const zip = rawZip([{ name: 'a.js', data: Buffer.from('hello'), method: 12 }]);
    await expectRejected(zip, 'MCPD_BUNDLE_CORRUPT', /unsupported compression method/);
  });

  it('rejects entries that clash with each other', async () => {
    const zip = rawZip([
      { name: 'a.js', data: Buffer.from('one') },
      { name: 'a.js', data: Buffer.from('two') },
    ]);
    await expectRejected(zip, 'MCPD_BUNDLE_CORRUPT', /"a\.js" is corrupt: it clashes/);
  });

  it('rejects empty archives and archives of directories only', async () => {
    await expectRejected(await yazlZip(() => undefined), 'MCPD_BUNDLE_EMPTY', /no files/);
    await expectRejected(rawZip([{ name: 'lib/', unixMode: 0o40755 }]), 'MCPD_BUNDLE_EMPTY');
  });

  it('passes file-system failures through and still cleans up', async () => {
    const zip = rawZip([{ name: `${'x'.repeat(300)}.js`, data: Buffer.from('a') }]);
    const err = await extractZip(zip, target).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ArchiveError);
    expect((err as NodeJS.ErrnoException).code).toBe('ENAMETOOLONG');
    expect(await readdir(out)).toEqual([]);
  });
});
