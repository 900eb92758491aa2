import { describe, expect, it } from 'vitest';
import { connect, createTestEngine, errorOf, resultOf } from '../../../test/helpers/engine.js';
import { ErrorCode } from '../../protocol/errors.js';

const schema = (
  properties: Record<string, unknown>,
  required: string[] = [],
  extra: Record<string, unknown> = {},
) => ({
  type: 'object',
  properties,
  required,
  ...extra,
});

async function setup() {
  const { engine } = createTestEngine(
    {
      tools: [
        {
          definition: { name: 'echo', inputSchema: schema({ text: { type: 'string' } }, ['text']) },
          invoke: async (a) => a['text'],
        },
        {
          definition: {
            name: 'greet',
            inputSchema: schema({ name: { type: 'string', default: 'World' } }),
          },
          invoke: async (a) => `Hello ${String(a['name'])}`,
        },
        {
          definition: {
            name: 'old',
            inputSchema: schema({ n: { type: 'integer' } }, ['n'], {
              $schema: 'http://json-schema.org/draft-07/schema#',
            }),
          },
          invoke: async (a) => `n=${String(a['n'])}`,
        },
        {
          definition: {
            name: 'sum',
            inputSchema: schema({}),
            outputSchema: schema({ sum: { type: 'number' } }, ['sum']),
          },
          invoke: async () => ({ sum: 3 }),
        },
        {
          definition: {
            name: 'liar',
            inputSchema: schema({}),
            outputSchema: schema({ sum: { type: 'number' } }, ['sum']),
          },
          invoke: async () => ({ sum: 'three' }),
        },
        {
          definition: { name: 'silent', inputSchema: schema({}), outputSchema: schema({}) },
          invoke: async () => 'just text',
        },
        {
          definition: { name: 'boom', inputSchema: schema({}) },
          invoke: async () => Promise.reject(new Error('kaput')),
        },
        {
          definition: { name: 'coded', inputSchema: schema({}) },
          invoke: async () =>
            Promise.reject(Object.assign(new Error('bad thing'), { code: -32602, data: { why: 1 } })),
        },
        { definition: { name: 'unlinked', inputSchema: schema({}) } },
        {
          definition: { name: 'img', inputSchema: schema({}) },
          invoke: async () => Buffer.from('png'),
          returnType: 'image',
        },
        {
          definition: { name: 'res', inputSchema: schema({}) },
          invoke: async () => ({ uri: 'x://r', text: 'r' }),
          returnType: 'embedded_resource',
        },
        {
          definition: {
            name: 'badschema',
            inputSchema: { type: 'object', properties: { a: { type: 'nonsense' } } },
          },
          invoke: async () => 'never',
        },
        {
          definition: { name: 'trap', inputSchema: schema({}) },
          invoke: async () => ({
            get content(): unknown {
              throw new Error('secret detail');
            },
          }),
        },
      ],
    },
    { pageSize: 5 },
  );
  return connect(engine);
}

describe('tools/list', () => {
  it('pages through every tool with cursors', async () => {
    const { request } = await setup();
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = resultOf(await request('tools/list', cursor ? { cursor } : {}));
      names.push(...(page['tools'] as Array<{ name: string }>).map((t) => t.name));
      cursor = page['nextCursor'] as string | undefined;
    } while (cursor);
    expect(names).toHaveLength(13);
    expect(names[0]).toBe('echo');
    expect(errorOf(await request('tools/list', { cursor: 'bogus' })).code).toBe(ErrorCode.InvalidParams);
  });
});

describe('tools/call', () => {
  it('calls a tool and converts a string to text content', async () => {
    const { request } = await setup();
    expect(resultOf(await request('tools/call', { name: 'echo', arguments: { text: 'hi' } }))).toEqual({
      content: [{ type: 'text', text: 'hi' }],
    });
  });

  it('reports schema violations as tool errors, fills defaults, honours draft-07', async () => {
    const { request } = await setup();
    const bad = resultOf(await request('tools/call', { name: 'echo', arguments: { text: 5 } }));
    expect(bad['isError']).toBe(true);
    expect(JSON.stringify(bad)).toContain('/text must be string');
    expect(JSON.stringify(resultOf(await request('tools/call', { name: 'greet' })))).toContain('Hello World');
    expect(
      JSON.stringify(resultOf(await request('tools/call', { name: 'old', arguments: { n: 2 } }))),
    ).toContain('n=2');
    expect(resultOf(await request('tools/call', { name: 'old', arguments: { n: 2.5 } }))['isError']).toBe(
      true,
    );
    const broken = resultOf(await request('tools/call', { name: 'badschema', arguments: {} }));
    expect(JSON.stringify(broken)).toContain('Invalid schema');
  });

  it('rejects unknown tools and malformed params with -32602', async () => {
    const { request } = await setup();
    expect(errorOf(await request('tools/call', { name: 'nope' })).code).toBe(ErrorCode.InvalidParams);
    expect(errorOf(await request('tools/call', {})).code).toBe(ErrorCode.InvalidParams);
    expect(errorOf(await request('tools/call', { name: 'echo', arguments: [1] })).code).toBe(
      ErrorCode.InvalidParams,
    );
  });

  it('returns structured content and enforces the output schema', async () => {
    const { request } = await setup();
    expect(resultOf(await request('tools/call', { name: 'sum' }))).toEqual({
      content: [{ type: 'text', text: '{"sum":3}' }],
      structuredContent: { sum: 3 },
    });
    const liar = resultOf(await request('tools/call', { name: 'liar' }));
    expect(liar['isError']).toBe(true);
    expect(JSON.stringify(liar)).toContain('outputSchema');
    expect(resultOf(await request('tools/call', { name: 'silent' }))['isError']).toBe(true);
  });

  it('turns thrown errors into tool errors, and coded errors into protocol errors', async () => {
    const { request } = await setup();
    expect(resultOf(await request('tools/call', { name: 'boom' }))).toEqual({
      content: [{ type: 'text', text: 'kaput' }],
      isError: true,
    });
    const coded = errorOf(await request('tools/call', { name: 'coded' }));
    expect(coded).toEqual({ code: -32602, message: 'bad thing', data: { why: 1 } });
    expect(resultOf(await request('tools/call', { name: 'unlinked' }))['isError']).toBe(true);
  });

  it('masks unexpected internal failures', async () => {
    const { request } = await setup();
    const res = errorOf(await request('tools/call', { name: 'trap' }));
    expect(res).toEqual({ code: ErrorCode.InternalError, message: 'Internal error' });
  });

  it('applies return_type conversions', async () => {
    const { request } = await setup();
    expect(resultOf(await request('tools/call', { name: 'img' }))).toEqual({
      content: [{ type: 'image', data: Buffer.from('png').toString('base64'), mimeType: 'image/png' }],
    });
    expect(resultOf(await request('tools/call', { name: 'res' }))).toEqual({
      content: [{ type: 'resource', resource: { uri: 'x://r', text: 'r' } }],
    });
  });
});
