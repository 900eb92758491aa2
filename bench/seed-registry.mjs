// Seeds a data dir with ENDPOINTS endpoints of TOOLS echo tools each (SQLite store, folder blobs), through the same
// deploy path as `mcpd bundle deploy`. Usage: node bench/seed-registry.mjs DATA_DIR ENDPOINTS TOOLS
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFolderBlobStore } from '../dist/blobs/folder.js';
import { BundleCache } from '../dist/bundles/bundle-cache.js';
import { deployFolder } from '../dist/bundles/deploy.js';
import { EndpointRegistry } from '../dist/registry/endpoints.js';
import { StoreEndpoints } from '../dist/registry/store-endpoints.js';
import { silentLogger } from '../dist/observability/logger.js';
import { createSqliteStore } from '../dist/store/sqlite.js';

export async function seedRegistry(dataDir, endpoints, tools) {
  const dir = mkdtempSync(join(tmpdir(), 'mcpd-bench-bundle-'));
  const names = Array.from({ length: tools }, (_, i) => `echo${i}`);
  writeFileSync(
    join(dir, 'mcp.json'),
    JSON.stringify({
      tools: names.map((name) => ({
        name,
        inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      })),
      module_links: names.map((name) => ({ type: 'tool', name, module_name: 'echo', function_name: 'echo' })),
      modules: [{ package_name: 'bench_echo', module_name: 'echo' }],
    }),
  );
  writeFileSync(join(dir, 'echo.js'), 'export const echo = ({ text }) => text;\n');
  const store = createSqliteStore({ path: join(dataDir, 'mcpd.db') });
  const blobs = createFolderBlobStore(join(dataDir, 'blobs'));
  const bundles = new BundleCache(blobs, join(dataDir, 'bundles'));
  const registry = new EndpointRegistry();
  const deps = {
    store,
    blobs,
    bundles,
    endpoints: new StoreEndpoints({ store, bundles, registry, logger: silentLogger }),
  };
  for (let e = 0; e < endpoints; e++)
    await deployFolder(deps, dir, { partition: `ep${e}`, updatedBy: 'bench' });
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return names;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [dataDir, endpoints, tools] = process.argv.slice(2);
  await seedRegistry(dataDir, Number(endpoints), Number(tools));
}
