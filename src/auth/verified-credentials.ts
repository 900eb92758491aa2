/**
 * Credentials that passed the full check (authentication, then the policy's `call` on an endpoint) moments ago, so
 * the Streamable HTTP fast path can serve the same client's next POSTs to that endpoint without verifying the token
 * again. Only a hit is trusted; anything else takes the full path (the guard), which answers every refusal.
 *
 * An entry lives `ttlMs` (1 s), never past the credentials' own expiry. A key revoked through this instance's API
 * clears every entry at once; a change made elsewhere (`mcpd key revoke`, `mcpd user`, another instance) reaches the
 * fast path within that second.
 */
import type { Principal } from './principal.js';

export const VERIFIED_TTL_MS = 1_000;
const MAX_ENTRIES = 4_096;

interface Entry {
  readonly principal: Principal;
  readonly until: number;
}

export class VerifiedCredentials {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = VERIFIED_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** After the guard allowed `call` on `endpointId` (the id in the URL) for this Authorization header. */
  remember(endpointId: string, authorization: string, principal: Principal): void {
    const key = `${endpointId} ${authorization}`;
    const expires = principal.expiresAt === undefined ? Number.POSITIVE_INFINITY : principal.expiresAt * 1000;
    const until = Math.min(this.now() + this.ttlMs, expires);
    this.entries.delete(key); // re-inserted last: the oldest entries are evicted first
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { principal, until });
  }

  /** Forgets everything (a key was revoked on this instance). */
  clear(): void {
    this.entries.clear();
  }

  /** The principal, while the same header was allowed `call` on the same endpoint within the TTL. */
  lookup(endpointId: string, authorization: string | undefined): Principal | undefined {
    if (authorization === undefined) return undefined;
    const key = `${endpointId} ${authorization}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() < entry.until) return entry.principal;
    this.entries.delete(key);
    return undefined;
  }
}
