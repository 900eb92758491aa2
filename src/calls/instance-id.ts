/**
 * A daemon instance's stable id, kept in its data dir (`instance-id`), so the instance that restarts after a crash
 * recognises the call records it left unfinished, and no other instance's.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function instanceId(dataDir: string): Promise<string> {
  const file = join(dataDir, 'instance-id');
  const known = await readFile(file, 'utf8').then(
    (t) => t.trim(),
    () => '',
  );
  if (/^[A-Za-z0-9-]{8,64}$/.test(known)) return known;
  const id = randomUUID();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${id}\n`, { mode: 0o644 });
  return id;
}
