import { describe, expect, it } from 'vitest';
import { checkHeaderParams, headerParamsOf } from './x-mcp-header.js';

const schema = {
  type: 'object',
  properties: {
    region: { type: 'string', 'x-mcp-header': 'Region' },
    level: { type: 'integer', 'x-mcp-header': 'Level' },
    nested: { type: 'object', properties: { flag: { type: 'boolean', 'x-mcp-header': 'Flag' } } },
    plain: { type: 'string' },
  },
};

describe('headerParamsOf', () => {
  it('finds annotations along property chains', () => {
    const r = headerParamsOf(schema);
    expect(r).toEqual({
      ok: true,
      params: [
        { path: ['region'], name: 'Region' },
        { path: ['level'], name: 'Level' },
        { path: ['nested', 'flag'], name: 'Flag' },
      ],
    });
    expect(headerParamsOf(undefined)).toEqual({ ok: true, params: [] });
  });

  it.each([
    ['a non-token name', { a: { type: 'string', 'x-mcp-header': 'Bad Name' } }, /header token/],
    [
      'a duplicate name',
      { a: { type: 'string', 'x-mcp-header': 'X' }, b: { type: 'string', 'x-mcp-header': 'x' } },
      /twice/,
    ],
    ['a number property', { a: { type: 'number', 'x-mcp-header': 'N' } }, /string, integer or boolean/],
  ])('rejects %s', (_name, properties, reason) => {
    const r = headerParamsOf({ type: 'object', properties });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('checkHeaderParams', () => {
  const r = headerParamsOf(schema);
  const params = r.ok ? r.params : [];
  const headers = (h: Record<string, string>) => (name: string) => h[name];

  it('accepts agreeing headers, sentinels, and absent arguments', () => {
    const args = { region: 'Hello', level: 42, nested: { flag: true } };
    expect(
      checkHeaderParams(
        params,
        args,
        headers({
          'mcp-param-region': '=?base64?SGVsbG8=?=',
          'mcp-param-level': '42.0',
          'mcp-param-flag': 'true',
        }),
      ),
    ).toBeUndefined();
    expect(checkHeaderParams(params, { region: null }, headers({}))).toBeUndefined();
  });

  it.each([
    ['a missing header', { region: 'a' }, {}, /is required/],
    ['a bad sentinel', { region: 'a' }, { 'mcp-param-region': '=?base64?YQ?=' }, /not valid base64/],
    ['a different string', { region: 'a' }, { 'mcp-param-region': 'b' }, /does not match/],
    ['a different number', { level: 1 }, { 'mcp-param-level': 'one' }, /does not match/],
    ['a different boolean', { nested: { flag: false } }, { 'mcp-param-flag': 'true' }, /does not match/],
    ['an object value', { region: { x: 1 } }, { 'mcp-param-region': 'x' }, /does not match/],
  ])('refuses %s', (_name, args, h, reason) => {
    expect(checkHeaderParams(params, args, headers(h))).toMatch(reason);
  });
});
