/**
 * Authorization: what a principal may do on an endpoint. Roles nest (admin ⊃ editor ⊃ caller):
 *  - caller: `list` (tools, resources, prompts, server info) and `call` (tools/call, resources/read, prompts/get,
 *    the MCP transports);
 *  - editor: also `edit` (change the registry: functions, modules, bundles, cache refresh);
 *  - admin: also `history` (call records), `settings` (module settings, which may hold secrets) and `keys`
 *    (the endpoint's API keys);
 *  - global admin: everything, including `admin` (operations over all endpoints: global cache, metrics).
 * A principal with no role at all on an endpoint gets `invisible`: the HTTP layer must answer exactly as for an
 * endpoint that does not exist (404), so endpoint names do not leak. `forbidden` (403) is for principals that
 * can see the endpoint but lack the role, and for non-admins asking for a global action.
 */
import { roleAtLeast, type Principal, type Role } from './principal.js';

export type Action = 'list' | 'call' | 'edit' | 'history' | 'settings' | 'keys' | 'admin';
export type Decision = 'allow' | 'forbidden' | 'invisible';

/** The least role each endpoint action needs (`admin` needs the global admin). */
export const REQUIRED_ROLE: Readonly<Record<Exclude<Action, 'admin'>, Role>> = Object.freeze({
  list: 'caller',
  call: 'caller',
  edit: 'editor',
  history: 'admin',
  settings: 'admin',
  keys: 'admin',
});

/** The principal's role on an endpoint (`admin` for a global admin), or undefined for none. */
export function roleOn(principal: Principal, endpointId: string): Role | undefined {
  return principal.globalAdmin ? 'admin' : principal.roles.get(endpointId);
}

/**
 * Decides one request. `endpointId` is undefined for global operations (only `admin` makes sense there, and
 * only global admins get it).
 */
export function authorize(principal: Principal, endpointId: string | undefined, action: Action): Decision {
  if (principal.globalAdmin) return 'allow';
  if (endpointId === undefined) return 'forbidden';
  const role = principal.roles.get(endpointId);
  if (role === undefined) return 'invisible';
  if (action === 'admin') return 'forbidden';
  return roleAtLeast(role, REQUIRED_ROLE[action]) ? 'allow' : 'forbidden';
}

/** The endpoints among `endpointIds` the principal may see (for listings). */
export function visibleEndpoints(principal: Principal, endpointIds: Iterable<string>): string[] {
  return [...endpointIds].filter((id) => principal.globalAdmin || principal.roles.has(id));
}
