import { describe, expect, it } from 'vitest';
import { isRole, roleAtLeast, rolesFromClaims, scopesFromClaims } from './principal.js';

const entries = (claims: Record<string, unknown>, prefix?: string): [boolean, [string, string][]] => {
  const r = rolesFromClaims(claims, prefix === undefined ? {} : { prefix });
  return [r.globalAdmin, [...r.roles].sort()];
};

describe('rolesFromClaims', () => {
  it('reads `roles`: "admin" is global, "<endpoint>:<role>" per endpoint', () => {
    expect(entries({ roles: ['admin'] })).toEqual([true, []]);
    expect(entries({ roles: ['ep1:editor', 'ep-2:caller', 'ep_3:admin'] })).toEqual([
      false,
      [
        ['ep-2', 'caller'],
        ['ep1', 'editor'],
        ['ep_3', 'admin'],
      ],
    ]);
  });

  it('reads `cognito:groups` the same way and merges with `roles`, keeping the highest role', () => {
    expect(
      entries({ roles: ['ep1:caller'], 'cognito:groups': ['ep1:admin', 'ep1:editor', 'ep2:caller'] }),
    ).toEqual([
      false,
      [
        ['ep1', 'admin'],
        ['ep2', 'caller'],
      ],
    ]);
  });

  it('treats a lone string as one entry', () => {
    expect(entries({ roles: 'ep1:caller' })).toEqual([false, [['ep1', 'caller']]]);
  });

  it('reads `mcpd_roles` as an object or as a JSON string; it never grants global admin', () => {
    expect(entries({ mcpd_roles: { ep1: 'editor', ep2: 'caller' } })[1]).toEqual([
      ['ep1', 'editor'],
      ['ep2', 'caller'],
    ]);
    expect(entries({ mcpd_roles: '{"ep1":"admin"}' })).toEqual([false, [['ep1', 'admin']]]);
    expect(entries({ mcpd_roles: { admin: 'admin' } })).toEqual([false, [['admin', 'admin']]]);
  });

  it('ignores malformed and unknown entries', () => {
    expect(
      entries({
        roles: ['user', 'editor', ':caller', 'ep1:owner', 'bad/ep:caller', 'a:b:caller', 42, null, 'ADMIN'],
        'cognito:groups': { not: 'an array' },
        mcpd_roles: { 'bad ep': 'caller', ep1: 'root', ep2: 3 },
      }),
    ).toEqual([false, []]);
    expect(entries({ mcpd_roles: 'not json' })).toEqual([false, []]);
    expect(entries({ mcpd_roles: '["ep1"]' })).toEqual([false, []]);
    expect(entries({ mcpd_roles: null })).toEqual([false, []]);
    expect(entries({ roles: [`${'x'.repeat(129)}:caller`] })).toEqual([false, []]);
  });

  it('with a prefix, only prefixed strings count', () => {
    const claims = { roles: ['admin', 'ep1:admin', 'mcpd:ep2:caller'], 'cognito:groups': ['mcpd:admin'] };
    expect(entries(claims, 'mcpd:')).toEqual([true, [['ep2', 'caller']]]);
    expect(entries({ roles: ['admin', 'ep1:admin'] }, 'mcpd:')).toEqual([false, []]);
  });
});

describe('roles', () => {
  it('nest admin ⊃ editor ⊃ caller', () => {
    expect(roleAtLeast('admin', 'editor')).toBe(true);
    expect(roleAtLeast('editor', 'editor')).toBe(true);
    expect(roleAtLeast('caller', 'editor')).toBe(false);
    expect(isRole('caller')).toBe(true);
    expect(isRole('owner')).toBe(false);
  });
});

describe('scopesFromClaims', () => {
  it('reads `scope` (space-separated) and `scp` (array or string), without duplicates', () => {
    expect(scopesFromClaims({ scope: 'a b  c', scp: ['c', 'd'] })).toEqual(['a', 'b', 'c', 'd']);
    expect(scopesFromClaims({ scp: 'x y' })).toEqual(['x', 'y']);
    expect(scopesFromClaims({})).toEqual([]);
  });
});
