/**
 * Call content kept in the blob store instead of the call record (the record holds `content_in_s3: true`). The
 * daemon writes under the partition, `mcp_content/{partition}/{uuid}.json`, so one tenant can never name another's
 * content. The older engine wrote `mcp_content/{uuid}.json`; those are read as a fallback for records it created
 * (the API never lets a client create a record that points at content it did not give).
 */
import type { BlobStore } from '../blobs/index.js';

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
