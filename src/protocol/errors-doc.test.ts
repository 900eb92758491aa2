import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { ModernErrorCode } from './modern.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('docs/errors.md', () => {
  it('lists every JSON-RPC error code with its name', () => {
    for (const [name, code] of Object.entries({ ...ErrorCode, ...ModernErrorCode })) {
      expect(doc, `${name} (${code})`).toMatch(new RegExp(`\\|\\s*${code}\\s*\\|\\s*${name}\\s*\\|`));
    }
  });

  it('lists every MCPD_ code defined in the source', () => {
    const codes = new Set<string>();
    for (const file of sourceFiles(join(root, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/code = '(MCPD_[A-Z_]+)'/g)) codes.add(m[1] ?? '');
    }
    expect(codes.size).toBeGreaterThan(0);
    for (const code of codes) expect(doc, code).toMatch(new RegExp(`\\|\\s*${code}\\s*\\|`));
  });
});
