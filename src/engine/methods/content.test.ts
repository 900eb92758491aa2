import { describe, expect, it } from 'vitest';
import { connect, createTestEngine, errorOf, resultOf } from '../../../test/helpers/engine.js';
import { ErrorCode } from '../../protocol/errors.js';

async function setup() {
  const { engine } = createTestEngine({
    resources: [
      { definition: { name: 'a', uri: 'x://a', mimeType: 'text/plain' }, invoke: async () => 'A' },
      { definition: { name: 'bin', uri: 'x://bin' }, invoke: async () => new Uint8Array([1, 2, 3]) },
      {
        definition: { name: 'full', uri: 'x://full' },
        invoke: async () => ({ contents: [{ uri: 'x://full', text: 'F' }] }),
      },
      {
        definition: { name: 'broken', uri: 'x://broken' },
        invoke: async () => Promise.reject(new Error('disk on fire')),
      },
      { definition: { name: 'unlinked', uri: 'x://unlinked' } },
    ],
    templates: [
      {
        definition: { name: 'item', uriTemplate: 'x://items/{id}', mimeType: 'application/json' },
        invoke: async (a) => ({ id: a['id'] }),
      },
    ],
    prompts: [
      {
        definition: {
          name: 'p',
          description: 'desc',
          arguments: [{ name: 'who', required: true }, { name: 'tone' }],
        },
        invoke: async (a) => `Hello ${String(a['who'])}`,
      },
      {
        definition: { name: 'full' },
        invoke: async () => ({ messages: [{ role: 'assistant', content: { type: 'text', text: 'x' } }] }),
      },
      { definition: { name: 'broken' }, invoke: async () => Promise.reject(new Error('nope')) },
      { definition: { name: 'unlinked' } },
    ],
    completions: {
      'prompt:p': async (a) => {
        const arg = a['argument'] as { value: string };
        return ['alice', 'albert', 'bob'].filter((n) => n.startsWith(arg.value));
      },
      'resource:x://items/{id}': async () => ({ values: Array.from({ length: 150 }, (_, i) => `v${i}`) }),
    },
  });
  return connect(engine);
}

describe('resources', () => {
  it('lists resources and templates', async () => {
    const { request } = await setup();
    expect((resultOf(await request('resources/list'))['resources'] as unknown[]).length).toBe(5);
    expect(resultOf(await request('resources/templates/list'))['resourceTemplates']).toEqual([
      { name: 'item', uriTemplate: 'x://items/{id}', mimeType: 'application/json' },
    ]);
  });

  it('reads text, binary, pass-through and templated resources', async () => {
    const { request } = await setup();
    expect(resultOf(await request('resources/read', { uri: 'x://a' }))).toEqual({
      contents: [{ uri: 'x://a', mimeType: 'text/plain', text: 'A' }],
    });
    expect(resultOf(await request('resources/read', { uri: 'x://bin' }))).toEqual({
      contents: [{ uri: 'x://bin', blob: 'AQID' }],
    });
    expect(resultOf(await request('resources/read', { uri: 'x://full' }))['contents']).toEqual([
      { uri: 'x://full', text: 'F' },
    ]);
    expect(resultOf(await request('resources/read', { uri: 'x://items/7' }))).toEqual({
      contents: [{ uri: 'x://items/7', mimeType: 'application/json', text: '{"id":"7"}' }],
    });
  });

  it('answers unknown resources with -32002 and failures with -32603', async () => {
    const { request } = await setup();
    const missing = errorOf(await request('resources/read', { uri: 'x://nothing' }));
    expect(missing.code).toBe(ErrorCode.ResourceNotFound);
    expect(missing.data).toEqual({ uri: 'x://nothing' });
    expect(errorOf(await request('resources/read', { uri: 'x://broken' })).code).toBe(
      ErrorCode.InternalError,
    );
    expect(errorOf(await request('resources/read', { uri: 'x://unlinked' })).code).toBe(
      ErrorCode.InternalError,
    );
    expect(errorOf(await request('resources/read', {})).code).toBe(ErrorCode.InvalidParams);
  });
});

describe('prompts', () => {
  it('lists and gets prompts, wrapping strings as one user message', async () => {
    const { request } = await setup();
    expect((resultOf(await request('prompts/list'))['prompts'] as unknown[]).length).toBe(4);
    expect(resultOf(await request('prompts/get', { name: 'p', arguments: { who: 'Ann' } }))).toEqual({
      description: 'desc',
      messages: [{ role: 'user', content: { type: 'text', text: 'Hello Ann' } }],
    });
    expect(resultOf(await request('prompts/get', { name: 'full' }))['messages']).toHaveLength(1);
  });

  it('checks arguments', async () => {
    const { request } = await setup();
    const missing = errorOf(await request('prompts/get', { name: 'p', arguments: {} }));
    expect(missing.code).toBe(ErrorCode.InvalidParams);
    expect(missing.message).toContain('who');
    expect(errorOf(await request('prompts/get', { name: 'p', arguments: { who: 1 } })).code).toBe(
      ErrorCode.InvalidParams,
    );
    expect(errorOf(await request('prompts/get', { name: 'p', arguments: 'x' })).code).toBe(
      ErrorCode.InvalidParams,
    );
    expect(errorOf(await request('prompts/get', { name: 'zzz' })).code).toBe(ErrorCode.InvalidParams);
    expect(errorOf(await request('prompts/get', {})).code).toBe(ErrorCode.InvalidParams);
    expect(errorOf(await request('prompts/get', { name: 'broken' })).code).toBe(ErrorCode.InternalError);
    expect(errorOf(await request('prompts/get', { name: 'unlinked' })).code).toBe(ErrorCode.InternalError);
  });
});

describe('completion/complete', () => {
  it('completes prompt arguments', async () => {
    const { request } = await setup();
    const res = resultOf(
      await request('completion/complete', {
        ref: { type: 'ref/prompt', name: 'p' },
        argument: { name: 'who', value: 'al' },
      }),
    );
    expect(res).toEqual({ completion: { values: ['alice', 'albert'], hasMore: false } });
  });

  it('caps results at 100 and reports the total', async () => {
    const { request } = await setup();
    const res = resultOf(
      await request('completion/complete', {
        ref: { type: 'ref/resource', uri: 'x://items/{id}' },
        argument: { name: 'id', value: '' },
      }),
    );
    const completion = res['completion'] as { values: string[]; total: number; hasMore: boolean };
    expect(completion.values).toHaveLength(100);
    expect(completion.total).toBe(150);
    expect(completion.hasMore).toBe(true);
  });

  it('answers empty without a provider and rejects unknown refs', async () => {
    const { request } = await setup();
    const none = resultOf(
      await request('completion/complete', {
        ref: { type: 'ref/prompt', name: 'full' },
        argument: { name: 'a', value: '' },
      }),
    );
    expect(none).toEqual({ completion: { values: [], hasMore: false } });
    const unknown = await request('completion/complete', {
      ref: { type: 'ref/prompt', name: 'ghost' },
      argument: { name: 'a', value: '' },
    });
    expect(errorOf(unknown).code).toBe(ErrorCode.InvalidParams);
    const unknownRes = await request('completion/complete', {
      ref: { type: 'ref/resource', uri: 'y://{z}' },
      argument: { name: 'z', value: '' },
    });
    expect(errorOf(unknownRes).code).toBe(ErrorCode.InvalidParams);
    expect(
      errorOf(
        await request('completion/complete', { ref: { type: 'ref/x' }, argument: { name: 'a', value: '' } }),
      ).code,
    ).toBe(ErrorCode.InvalidParams);
    expect(
      errorOf(await request('completion/complete', { ref: { type: 'ref/prompt', name: 'p' } })).code,
    ).toBe(ErrorCode.InvalidParams);
  });
});
