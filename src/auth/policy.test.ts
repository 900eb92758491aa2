import { describe, expect, it } from 'vitest';
import { ADMIN_PRINCIPAL } from './admin-token.js';
import { authorize, roleOn, visibleEndpoints, type Action } from './policy.js';
import type { Principal, Role } from './principal.js';

const user = (roles: Record<string, Role>): Principal => ({
  id: 'local:u',
  name: 'u',
  kind: 'user',
  globalAdmin: false,
  roles: new Map(Object.entries(roles)),
  scopes: [],
});

const ACTIONS: Action[] = ['list', 'call', 'edit', 'history', 'settings', 'keys', 'admin'];
const decisions = (p: Principal, ep: string | undefined): string[] => ACTIONS.map((a) => authorize(p, ep, a));

describe('authorize', () => {
  it('callers may list and call', () => {
    expect(decisions(user({ ep1: 'caller' }), 'ep1')).toEqual([
      'allow', 'allow', 'forbidden', 'forbidden', 'forbidden', 'forbidden', 'forbidden',
    ]); // prettier-ignore
  });

  it('editors may also edit the registry', () => {
    expect(decisions(user({ ep1: 'editor' }), 'ep1')).toEqual([
      'allow', 'allow', 'allow', 'forbidden', 'forbidden', 'forbidden', 'forbidden',
    ]); // prettier-ignore
  });

  it('endpoint admins may also read history, settings and keys, but not global actions', () => {
    expect(decisions(user({ ep1: 'admin' }), 'ep1')).toEqual([
      'allow', 'allow', 'allow', 'allow', 'allow', 'allow', 'forbidden',
    ]); // prettier-ignore
    expect(authorize(user({ ep1: 'admin' }), undefined, 'admin')).toBe('forbidden');
  });

  it('an endpoint without any role is invisible, for every action', () => {
    expect(new Set(decisions(user({ ep1: 'admin' }), 'ep2'))).toEqual(new Set(['invisible']));
  });

  it('a global admin may do everything, everywhere', () => {
    expect(new Set(decisions(ADMIN_PRINCIPAL, 'anything'))).toEqual(new Set(['allow']));
    expect(authorize(ADMIN_PRINCIPAL, undefined, 'admin')).toBe('allow');
  });

  it('roleOn and visibleEndpoints', () => {
    const p = user({ ep1: 'editor', ep3: 'caller' });
    expect(roleOn(p, 'ep1')).toBe('editor');
    expect(roleOn(p, 'ep2')).toBeUndefined();
    expect(roleOn(ADMIN_PRINCIPAL, 'ep2')).toBe('admin');
    expect(visibleEndpoints(p, ['ep1', 'ep2', 'ep3'])).toEqual(['ep1', 'ep3']);
    expect(visibleEndpoints(ADMIN_PRINCIPAL, new Set(['ep1', 'ep2']))).toEqual(['ep1', 'ep2']);
  });
});
