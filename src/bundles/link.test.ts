import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/logger.js';
import type { ModuleLink } from '../registry/config-file.js';
import type { ToolContext } from '../sdk/types.js';
import { linkHandler } from './link.js';
import { resolveModuleFile } from './module-loader.js';

const GOOD = fileURLToPath(new URL('../../test/fixtures/bundles/good', import.meta.url));
const BROKEN = fileURLToPath(new URL('../../test/fixtures/bundles/broken', import.meta.url));
const ctx = {} as ToolContext;

const link = (over: Partial<ModuleLink>): ModuleLink => ({
  type: 'tool',
  name: 'x',
  module_name: 'tools',
  function_name: 'upper',
  ...over,
});

describe('module resolution', () => {
  it('finds <name>.js and <name>/index.js inside the bundle', async () => {
    expect(await resolveModuleFile(GOOD, 'tools')).toMatch(/good\/tools\.js$/);
    expect(await resolveModuleFile(GOOD, 'nested')).toMatch(/nested\/index\.js$/);
  });

  it('refuses names that leave the bundle or do not exist', async () => {
    await expect(resolveModuleFile(GOOD, '../broken/syntax')).rejects.toThrow(/Invalid module name/);
    await expect(resolveModuleFile(GOOD, '/etc/passwd')).rejects.toThrow(/Invalid module name/);
    await expect(resolveModuleFile(GOOD, 'missing')).rejects.toThrow(/not found/);
  });
});

describe('linkHandler', () => {
  it('calls plain functions and constructs classes with (logger, setting) per call', async () => {
    const fn = linkHandler(link({}), undefined, GOOD, silentLogger);
    expect(await fn.invoke({ text: 'abc' }, ctx)).toBe('ABC');
    expect(await fn.invoke({ text: 'again' }, ctx)).toBe('AGAIN');
    const cls = linkHandler(
      link({ class_name: 'Greeter', function_name: 'greet' }),
      { package_name: 'p', module_name: 'tools', setting: { prefix: 'Hi' } },
      GOOD,
      silentLogger,
    );
    expect(cls.settings).toEqual({ prefix: 'Hi' });
    expect(Object.isFrozen(cls.settings)).toBe(true);
    expect(await cls.invoke({ name: 'Ann' }, ctx)).toBe('Hi Ann');
  });

  it('reports missing functions, classes and methods clearly', async () => {
    await expect(
      linkHandler(link({ function_name: 'nope' }), undefined, GOOD, silentLogger).invoke({}, ctx),
    ).rejects.toThrow('Function nope not found in module tools');
    await expect(
      linkHandler(link({ function_name: 'notAFunction' }), undefined, GOOD, silentLogger).invoke({}, ctx),
    ).rejects.toThrow(/not found/);
    await expect(
      linkHandler(link({ class_name: 'Ghost' }), undefined, GOOD, silentLogger).invoke({}, ctx),
    ).rejects.toThrow('Class Ghost not found in module tools');
    await expect(
      linkHandler(
        link({ class_name: 'Greeter', function_name: 'wave' }),
        undefined,
        GOOD,
        silentLogger,
      ).invoke({}, ctx),
    ).rejects.toThrow('Method Greeter.wave not found');
  });

  it('turns synchronous throws into rejections, also after the first call', async () => {
    const h = linkHandler(link({ function_name: 'throwsSync' }), undefined, GOOD, silentLogger);
    await expect(h.invoke({}, ctx)).rejects.toThrow('sync failure');
    await expect(h.invoke({}, ctx)).rejects.toThrow('sync failure');
  });

  it('reports a module that does not parse, without throwing synchronously', async () => {
    const h = linkHandler(
      link({ module_name: 'syntax', function_name: 'oops' }),
      undefined,
      BROKEN,
      silentLogger,
    );
    await expect(h.invoke({}, ctx)).rejects.toThrow(/Module syntax failed to load/);
  });
});
