import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NAME, VERSION } from './version.js';

describe('version', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
    };
    expect({ NAME, VERSION }).toEqual({ NAME: pkg.name, VERSION: pkg.version });
  });
});
