// Bundles the CLI after `tsc`: `mcpd stdio` must answer its first message fast, and loading ~40 small ESM files
// costs more than the rest of its start-up. The entry and its lazily imported commands become a few chunks in
// dist/cli (replacing tsc's main.js); npm packages stay external; the rest of dist/ is tsc's output for tests.
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/cli/chunks', { recursive: true, force: true });

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
chmodSync('dist/cli/main.js', 0o755);
