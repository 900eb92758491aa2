/** Opens the configured BlobStore adapter. The AWS SDK is imported only when S3 is configured. */
import type { BlobConfig } from '../config/config.js';
import type { BlobStore } from './index.js';

export async function openBlobStore(config: BlobConfig, initialize: boolean): Promise<BlobStore> {
  if (config.kind === 'folder') {
    const { createFolderBlobStore } = await import('./folder.js');
    return createFolderBlobStore(config.root);
  }
  const { createS3BlobStore } = await import('./s3.js');
  const blobs = createS3BlobStore({
    bucket: config.bucket,
    region: config.region,
    prefix: config.prefix,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
  if (initialize) await blobs.ensureBucket();
  return blobs;
}
