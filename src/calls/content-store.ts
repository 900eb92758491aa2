/**
 * Call content kept in the blob store instead of the call record (the record holds `content_in_s3: true`). The
 * daemon writes under the partition, `mcp_content/{partition}/{uuid}.json`, so one tenant can never name another's
 * content. The older engine wrote `mcp_content/{uuid}.json`; those are read as a fallback for records it created
 * (the API never lets a client create a record that points at content it did not give).
 */
import type { BlobStore } from '../blobs/index.js';
import type { FunctionCallRecord } from '../store/index.js';
import { mayExceed } from './json-size.js';

/** A call uuid as it may appear in a blob key. */
export const CALL_UUID = /^[A-Za-z0-9_.-]{1,128}$/;

export const contentKey = (partition: string, uuid: string) => `mcp_content/${partition}/${uuid}.json`;
export const legacyContentKey = (uuid: string) => `mcp_content/${uuid}.json`;

export async function writeContent(blobs: BlobStore, partition: string, uuid: string, content: unknown) {
  await blobs.put(
    contentKey(partition, uuid),
    Buffer.from(JSON.stringify(content), 'utf8'),
    'application/json',
  );
}

export async function readContent(blobs: BlobStore, partition: string, uuid: string): Promise<unknown> {
  if (!CALL_UUID.test(uuid)) return null;
  const body = (await blobs.get(contentKey(partition, uuid))) ?? (await blobs.get(legacyContentKey(uuid)));
  return body ? (JSON.parse(body.toString('utf8')) as unknown) : null;
}

/**
 * Starts writing the content of a batch's records whose JSON is longer than `limit` to the blob store (rarely any);
 * each record written is replaced in `records` by a copy with `content: null, content_in_s3: true`, and `done` is
 * called for it. Undefined when there is nothing to offload.
 */
export function offloadLarge(
  blobs: BlobStore,
  records: FunctionCallRecord[],
  limit: number,
  done: () => void,
): Promise<void>[] | undefined {
  let offloads: Promise<void>[] | undefined;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.content === null || r.content === undefined || !mayExceed(r.content, limit)) continue;
    if (JSON.stringify(r.content).length <= limit) continue;
    (offloads ??= []).push(
      writeContent(blobs, r.partition_key, r.mcp_function_call_uuid, r.content).then(() => {
        records[i] = { ...r, content: null, content_in_s3: true };
        done();
      }),
    );
  }
  return offloads;
}
