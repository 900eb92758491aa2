import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors.js';
import { silentLogger } from '../observability/logger.js';
import { parseRegistry, readRegistryFile } from './config-file.js';
import { endpointFromFile } from './from-file.js';

const DEMO = fileURLToPath(new URL('../../examples/demo/mcp.json', import.meta.url));

describe('parseRegistry', () => {
  it('accepts the older engine format and fills defaults', () => {
    const r = parseRegistry(
      {
        tools: [{ name: 'hello', inputSchema: { type: 'object' } }],
        resources: [
          { uri: 'status://server', name: 's' },
          { uriTemplate: 'x://{id}', name: 't' },
        ],
        prompts: [{ name: 'p', arguments: [{ name: 'a', required: true }] }],
        module_links: [{ name: 'hello', module_name: 'm', function_name: 'hello', return_type: null }],
        modules: [{ module_name: 'm', setting: {} }],
      },
      'inline',
    );
    expect(r.resources).toHaveLength(1);
    expect(r.resourceTemplates).toHaveLength(1);
    expect(r.module_links[0]).toMatchObject({ type: 'tool', return_type: undefined });
    expect(r.modules[0]).toMatchObject({ package_name: 'm' });
  });

  it.each([
    ['not an object', [], /must be a JSON object/],
    ['tools not an array', { tools: {} }, /"tools" must be an array/],
    ['tool without name', { tools: [{}] }, /tools\[0\] needs a name/],
    ['bad inputSchema', { tools: [{ name: 'a', inputSchema: 3 }] }, /inputSchema must be an object/],
    ['resource without uri', { resources: [{ name: 'r' }] }, /needs a uri/],
    ['template not a string', { resourceTemplates: [{ uriTemplate: 1 }] }, /needs a uriTemplate/],
    ['prompt without name', { prompts: [{}] }, /prompts\[0\] needs a name/],
    ['bad prompt arguments', { prompts: [{ name: 'p', arguments: [{}] }] }, /arguments must be an array/],
    [
      'bad link type',
      { module_links: [{ type: 'widget', name: 'a', module_name: 'm', function_name: 'f' }] },
      /type must be one of/,
    ],
    [
      'link without function',
      { module_links: [{ name: 'a', module_name: 'm' }] },
      /function_name must be a non-empty string/,
    ],
    [
      'bad return type',
      { module_links: [{ name: 'a', module_name: 'm', function_name: 'f', return_type: 'video' }] },
      /return_type/,
    ],
    ['module without name', { modules: [{}] }, /module_name must be a string/],
    ['bad setting', { modules: [{ module_name: 'm', setting: 'x' }] }, /setting must be an object/],
    ['bad instructions', { instructions: 5 }, /instructions/],
  ])('rejects %s', (_name, value, message) => {
    expect(() => parseRegistry(value, 'inline')).toThrow(ConfigError);
    expect(() => parseRegistry(value, 'inline')).toThrow(message);
  });
});

describe('readRegistryFile and endpointFromFile', () => {
  it('reads the demo config into a catalog with handlers', async () => {
    const file = await readRegistryFile(DEMO);
    const endpoint = endpointFromFile('default', file, DEMO, silentLogger);
    expect(endpoint.instructions).toMatch(/Demo endpoint/);
    expect([...endpoint.catalog.tools.keys()]).toEqual(['echo', 'add', 'countdown']);
    expect(endpoint.catalog.tools.get('echo')?.handler).toBeDefined();
    expect(endpoint.catalog.templates[0]?.handler).toBeDefined();
    expect(endpoint.catalog.completions.has('prompt:summarize')).toBe(true);
  });

  it('reports unreadable files, invalid JSON and duplicates with the file name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpd-config-'));
    await expect(readRegistryFile(join(dir, 'missing.json'))).rejects.toThrow(/Cannot read config file/);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ nope');
    await expect(readRegistryFile(bad)).rejects.toThrow(/is not valid JSON/);
    const dup = join(dir, 'dup.json');
    await writeFile(dup, JSON.stringify({ tools: [{ name: 'a' }, { name: 'a' }] }));
    const parsed = await readRegistryFile(dup);
    expect(() => endpointFromFile('default', parsed, dup, silentLogger)).toThrow(/duplicate tool a/);
    await rm(dir, { recursive: true, force: true });
  });

  it('gives tools without an inputSchema an empty object schema', async () => {
    const endpoint = endpointFromFile(
      'default',
      parseRegistry({ tools: [{ name: 'bare' }] }, 'x'),
      DEMO,
      silentLogger,
    );
    expect(endpoint.catalog.toolList[0]).toEqual({
      name: 'bare',
      inputSchema: { type: 'object', properties: {} },
    });
  });
});
