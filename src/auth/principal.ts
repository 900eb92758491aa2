/**
 * Who is calling: the Principal every verifier produces, the per-endpoint roles, and how roles are read from
 * token claims. There is no anonymous principal: a request without credentials has no Principal at all, and the
 * HTTP layer decides (401, or the AUTH_PROVIDER=none loopback mode, which never reaches this module).
 *
 * Role claims (all optional, merged; the highest role per endpoint wins; malformed or unknown entries are
 * ignored, since groups and roles are often shared with other applications):
 *  - `roles`: an array of strings (a lone string counts as a one-element array).
 *  - `cognito:groups`: an array of strings, read exactly like `roles`.
 *    Each string is either `admin` (global admin: every endpoint, every action) or `<endpoint>:<role>`, where
 *    `<endpoint>` matches `[A-Za-z0-9_-]{1,128}` and `<role>` is `admin`, `editor` or `caller` (e.g.
 *    `ep1:editor`). With the `prefix` option (e.g. `mcpd:`) only strings starting with it count, and the prefix
 *    is removed first (`mcpd:admin`, `mcpd:ep1:caller`), so a group named `admin` meant for another app is inert.
 *  - `mcpd_roles`: an object `{"<endpoint>": "<role>"}`, or a string holding that object as JSON (Cognito
 *    custom attributes are strings). Never grants global admin.
 * Scopes come from `scope` (space-separated string, RFC 9068) or `scp` (array or string).
 */

export type Role = 'caller' | 'editor' | 'admin';
export type PrincipalKind = 'user' | 'oidc' | 'api-key' | 'admin-token';

export const ROLES: readonly Role[] = Object.freeze(['caller', 'editor', 'admin']);

/** Endpoint ids, as the HTTP routes accept them. */
export const ENDPOINT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export interface Principal {
  /** Stable and unique across providers: `local:alice`, `oidc:<issuer>#<sub>`, `api-key:<id>`, `admin-token`. */
  readonly id: string;
  /** For people and audit fields (`updated_by`): username, `cognito:username`, email, or the id. */
  readonly name: string;
  readonly kind: PrincipalKind;
  /** May do everything on every endpoint, including global operations. */
  readonly globalAdmin: boolean;
  /** Role per endpoint id. */
  readonly roles: ReadonlyMap<string, Role>;
  readonly scopes: readonly string[];
  /** Epoch seconds after which the credentials are no longer valid (tokens), when known. */
  readonly expiresAt?: number;
  /** The verified token claims (for `GET /me`); absent for API keys and the admin token. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

export interface ClaimRoles {
  readonly globalAdmin: boolean;
  readonly roles: ReadonlyMap<string, Role>;
}

export interface RoleClaimOptions {
  /** Only `roles`/`cognito:groups` strings with this prefix count (the prefix is stripped). Default: none. */
  readonly prefix?: string;
}

export function isRole(value: unknown): value is Role {
  return value === 'caller' || value === 'editor' || value === 'admin';
}

/** Whether `have` includes everything `need` may do (admin ⊃ editor ⊃ caller). */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

function grant(roles: Map<string, Role>, endpointId: string, role: Role): void {
  const current = roles.get(endpointId);
  if (current === undefined || !roleAtLeast(current, role)) roles.set(endpointId, role);
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function roleObject(value: unknown): Record<string, unknown> | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

/** Reads the role claims documented at the top of this file. */
export function rolesFromClaims(
  claims: Readonly<Record<string, unknown>>,
  options: RoleClaimOptions = {},
): ClaimRoles {
  const prefix = options.prefix ?? '';
  const roles = new Map<string, Role>();
  let globalAdmin = false;
  for (const raw of [...strings(claims['roles']), ...strings(claims['cognito:groups'])]) {
    if (!raw.startsWith(prefix)) continue;
    const entry = raw.slice(prefix.length);
    if (entry === 'admin') {
      globalAdmin = true;
      continue;
    }
    const colon = entry.lastIndexOf(':');
    const endpointId = entry.slice(0, colon);
    const role = entry.slice(colon + 1);
    if (colon > 0 && ENDPOINT_ID_PATTERN.test(endpointId) && isRole(role)) grant(roles, endpointId, role);
  }
  for (const [endpointId, role] of Object.entries(roleObject(claims['mcpd_roles']) ?? {})) {
    if (ENDPOINT_ID_PATTERN.test(endpointId) && isRole(role)) grant(roles, endpointId, role);
  }
  return { globalAdmin, roles };
}

/** Scopes from `scope` (space-separated) or `scp` (array or space-separated string). */
export function scopesFromClaims(claims: Readonly<Record<string, unknown>>): string[] {
  const raw = [...strings(claims['scope']), ...strings(claims['scp'])];
  return [...new Set(raw.flatMap((s) => s.split(' ')).filter((s) => s !== ''))];
}
