/**
 * The `local` provider's tokens: HS256 access tokens issued after a password login (see local-users.ts) and
 * verified with JWT_SECRET_KEY. Tokens carry `{sub, username, roles, iat, exp, iss: "mcpd"}`; `roles` uses the
 * string forms of `rolesFromClaims` (`admin`, `<endpoint>:<role>`). Only HS256 with this secret verifies: `alg:
 * none`, RS256, or HS256 keyed with some public key all fail.
 */
import { SignJWT, jwtVerify } from 'jose';
import { DEFAULT_TOKEN_TTL_SECONDS, validateSecret } from './local-secret.js';
import { AuthError } from './errors.js';
import type { LocalUser, LocalUsers } from './local-users.js';
import { rolesFromClaims, scopesFromClaims, type Principal } from './principal.js';
import { joseFailure, type TokenShape, type TokenVerifier } from './verifier.js';

export const LOCAL_ISSUER = 'mcpd';
export { DEFAULT_TOKEN_TTL_SECONDS, MIN_SECRET_LENGTH, validateSecret } from './local-secret.js';

function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(validateSecret(secret));
}

export interface LocalTokenOptions {
  readonly secret: string;
  /** Lifetime (ACCESS_TOKEN_EXP); default 3600. */
  readonly ttlSeconds?: number;
  /** Clock (epoch ms), for tests. */
  readonly now?: () => number;
}

/** The `/auth/token` answer (the older engine's `{access_token, token_type}` plus `expires_in`). */
export interface IssuedToken {
  readonly access_token: string;
  readonly token_type: 'bearer';
  readonly expires_in: number;
}

export async function issueLocalToken(user: LocalUser, options: LocalTokenOptions): Promise<IssuedToken> {
  const ttl = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  const iat = Math.floor((options.now ?? Date.now)() / 1000);
  const token = await new SignJWT({ username: user.username, roles: [...user.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.username)
    .setIssuer(LOCAL_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(secretKey(options.secret));
  return { access_token: token, token_type: 'bearer', expires_in: ttl };
}

export interface LocalVerifierOptions {
  readonly secret: string;
  /**
   * When given, a token verifies only while its user still exists and was issued after the user's last password
   * change, and the roles are the user's current ones (not those frozen in the token). Looked up at most once per
   * `userCacheMs` (default 2000) per user.
   */
  readonly users?: LocalUsers;
  readonly userCacheMs?: number;
  /** Seconds of clock skew allowed on `exp`/`nbf`; default 5. */
  readonly clockToleranceSeconds?: number;
  readonly now?: () => number;
}

/** Verifies tokens from `issueLocalToken`: HS256 only, issuer `mcpd`, `exp` and `sub` required. */
export class LocalVerifier implements TokenVerifier {
  readonly name = 'local';
  readonly #key: Uint8Array;
  readonly #options: LocalVerifierOptions;
  readonly #userCache = new Map<string, { at: number; user: Promise<LocalUser | undefined> }>();

  constructor(options: LocalVerifierOptions) {
    this.#key = secretKey(options.secret);
    this.#options = options;
  }

  accepts(shape: TokenShape): boolean {
    return shape.kind === 'jwt' && shape.alg === 'HS256' && shape.iss === LOCAL_ISSUER;
  }

  async verify(token: string): Promise<Principal> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'],
        issuer: LOCAL_ISSUER,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: this.#options.clockToleranceSeconds ?? 5,
        ...(this.#options.now ? { currentDate: new Date(this.#options.now()) } : {}),
      }));
    } catch (error) {
      throw joseFailure(error);
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub === '')
      throw new AuthError('MCPD_AUTH_INVALID', 'Token has no subject');
    let roleClaim = payload['roles'];
    if (this.#options.users) {
      let user: LocalUser | undefined;
      try {
        user = await this.#currentUser(sub);
      } catch (cause) {
        throw new AuthError('MCPD_AUTH_UNAVAILABLE', 'The user directory is unavailable', { cause });
      }
      if (!user) throw new AuthError('MCPD_AUTH_INVALID', 'The user of this token no longer exists');
      if ((payload.iat ?? 0) < (user.tokensValidAfter ?? 0)) {
        throw new AuthError('MCPD_AUTH_INVALID', 'Token issued before the last password change');
      }
      roleClaim = [...user.roles];
    }
    const { globalAdmin, roles } = rolesFromClaims({ roles: roleClaim });
    const name = typeof payload['username'] === 'string' ? payload['username'] : sub;
    return {
      id: `local:${sub}`,
      name,
      kind: 'user',
      globalAdmin,
      roles,
      scopes: scopesFromClaims(payload),
      ...(payload.exp === undefined ? {} : { expiresAt: payload.exp }),
      claims: payload,
    };
  }

  #currentUser(username: string): Promise<LocalUser | undefined> {
    const now = (this.#options.now ?? Date.now)();
    const cached = this.#userCache.get(username);
    if (cached && now - cached.at < (this.#options.userCacheMs ?? 2000)) return cached.user;
    const user = (this.#options.users as LocalUsers).find(username);
    if (this.#userCache.size > 10_000) this.#userCache.clear();
    this.#userCache.set(username, { at: now, user });
    // A failed lookup is not remembered.
    user.catch(() => this.#userCache.delete(username));
    return user;
  }
}
