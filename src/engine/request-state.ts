/**
 * `requestState` for multi-round-trip requests (2026-07-28): everything a retry needs travels with the client,
 * sealed with HMAC-SHA256 under a server key and bound to the endpoint, the method, its target (tool, prompt or
 * URI), a digest of the arguments and an expiry. A state that fails any of these checks is rejected.
 * Signed, not encrypted: it holds only the client's own answers and what bundle code chose to keep.
 */
import type * as NodeCrypto from 'node:crypto';
import { createRequire } from 'node:module';

// node:crypto is loaded on first use: it costs ~3 ms, and `mcpd stdio` must answer its first message fast.
const require = createRequire(import.meta.url);
let cryptoModule: typeof NodeCrypto | undefined;
const crypto = (): typeof NodeCrypto => (cryptoModule ??= require('node:crypto') as typeof NodeCrypto);

export interface StateBinding {
  /** Who made the request. Every caller is `anonymous` until an auth provider names principals. */
  principal: string;
  endpointId: string;
  method: string;
  target: string;
  args: unknown;
}

export interface OpenState {
  /** Answers of earlier rounds, by input key. */
  answers: Record<string, unknown>;
}

interface Payload {
  v: 1;
  b: string;
  exp: number;
  a: Record<string, unknown>;
  r: string;
}

const b64 = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');

export class RequestStateCodec {
  private keyBytes: Buffer | undefined;

  /** `key` undefined: a random per-process key, made on first use. */
  constructor(
    key: Buffer | undefined,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.keyBytes = key;
  }

  /** A codec with a random per-process key (one instance) unless a shared secret is configured. */
  static create(secret: string | undefined, ttlMs = 10 * 60_000): RequestStateCodec {
    return new RequestStateCodec(secret ? Buffer.from(secret, 'utf8') : undefined, ttlMs);
  }

  private get key(): Buffer {
    return (this.keyBytes ??= crypto().randomBytes(32));
  }

  seal(binding: StateBinding, state: OpenState): string {
    const payload: Payload = {
      v: 1,
      b: this.digest(binding),
      exp: this.now() + this.ttlMs,
      a: state.answers,
      r: crypto().randomBytes(9).toString('base64url'),
    };
    const body = b64(JSON.stringify(payload));
    return `${body}.${this.mac(body)}`;
  }

  /** The state, or undefined when it was tampered with, expired, or belongs to another request. */
  open(token: string, binding: StateBinding): OpenState | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.mac(body), 'base64url');
    if (given.length !== expected.length || !crypto().timingSafeEqual(given, expected)) return undefined;
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
    } catch {
      return undefined;
    }
    if (payload.v !== 1 || payload.exp < this.now() || payload.b !== this.digest(binding)) return undefined;
    return { answers: typeof payload.a === 'object' && payload.a !== null ? payload.a : {} };
  }

  private mac(body: string): string {
    return crypto().createHmac('sha256', this.key).update(body).digest('base64url');
  }

  private digest(b: StateBinding): string {
    return crypto()
      .createHash('sha256')
      .update(JSON.stringify([b.principal, b.endpointId, b.method, b.target, b.args ?? {}]))
      .digest('base64url');
  }
}
