/** `mcpd init`: creates what the configured storage lacks (SQLite migrations, DynamoDB tables, the S3 bucket). */
import type { Config } from '../config/config.js';
import { openBlobStore } from '../blobs/open.js';
import { openStore } from '../store/open.js';

export async function runInit(config: Config, out: (line: string) => void): Promise<number> {
  const store = await openStore(config.store, true);
  const blobs = await openBlobStore(config.blobs, true);
  await Promise.all([store.close(), blobs.close()]);
  const where =
    config.store.kind === 'sqlite'
      ? config.store.path
      : `tables${config.store.tablePrefix ? ` ${config.store.tablePrefix}*` : ''}`;
  const bucket = config.blobs.kind === 'folder' ? config.blobs.root : `s3://${config.blobs.bucket}`;
  out(`store ready: ${config.store.kind} (${where})`);
  out(`blobs ready: ${config.blobs.kind} (${bucket})`);
  return 0;
}
