/**
 * Configuration: command-line flags over environment variables over defaults, validated once and frozen.
 * The older engine's env names (PORT, MCP_CONFIG_FILE, MCP_TRANSPORT, AUTH_PROVIDER) keep working.
 */
import { type IsolationLevel, ISOLATION_LEVELS } from '../registry/catalog.js';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { type AuthConfig, loadAuthConfig } from '../auth/config.js';
import type { PoolLimits } from '../execution/worker/pool.js';
import type { LoggerLevel } from '../observability/logger.js';
import { ConfigError } from './errors.js';

export type Mode = 'serve' | 'stdio';

export interface Config {
  readonly mode: Mode;
  readonly host: string;
  readonly port: number;
  readonly configFile: string | undefined;
  readonly dataDir: string;
  /** Token providers and settings (src/auth). */
  readonly auth: AuthConfig;
  /**
   * No authentication at all: only with `AUTH_PROVIDER=none` said explicitly and no ADMIN_STATIC_TOKEN, and only on
   * a loopback address. With nothing configured, the daemon requires a token (a generated admin token at first).
   */
  readonly open: boolean;
  /** Host header names accepted on HTTP requests (DNS-rebinding protection); empty means any. */
  readonly allowedHosts: readonly string[];
  /** Origin header values accepted (browser requests); empty means same-host origins only. */
  readonly allowedOrigins: readonly string[];
  /**
   * MCPD_TRUST_PROXY: whose X-Forwarded-For/-Proto/-Host to believe (Fastify `trustProxy`): `true` (any), a hop
   * count, or addresses/CIDRs. Off by default, so a client cannot pick its own address for the login limiter.
   */
  readonly trustProxy: boolean | number | readonly string[];
  /** Streamable HTTP without sessions: every request stands alone. */
  readonly stateless: boolean;
  readonly bodyLimitBytes: number;
  readonly logLevel: LoggerLevel;
  readonly pageSize: number;
  readonly keepAliveMs: number;
  /** `retry:` hint (ms) sent in SSE priming events. */
  readonly sseRetryMs: number;
  /** Idle HTTP sessions are closed after this long. */
  readonly sessionIdleMs: number;
  /** Secret sealing 2026-07-28 requestState; instances behind one load balancer must share it. */
  readonly requestStateKey: string | undefined;
  /** ttlMs hint on cacheable 2026-07-28 results. */
  readonly cacheTtlMs: number;
  /** Where registries and call history live. */
  readonly store: StoreConfig;
  /** Where bundles and large payloads live. */
  readonly blobs: BlobConfig;
  /**
   * Redis shared by the instances that share a store: the bus of registry changes and the login brake's counts.
   * Undefined: each instance keeps its own.
   */
  readonly redis: RedisConfig | undefined;
  /** Create missing DynamoDB tables / S3 bucket at start (`INITIALIZE_TABLES=1`). */
  readonly initializeTables: boolean;
  /** GraphiQL at GET /{endpoint_id}/graphiql (development). */
  readonly graphiql: boolean;
  /** Record every tools/call, resources/read and prompts/get in the store. */
  readonly recordCalls: boolean;
  /** Recorded content longer than this (JSON characters) goes to the blob store. */
  readonly contentOffloadBytes: number;
  /** Answers wait until their call record is written (else records are written behind the answers). */
  readonly durableAnswers: boolean;
  /** A call's `in_process` record is written once it has run this long (shorter calls are written once). */
  readonly recordBeginDelayMs: number;
  /** How long an `is_async` tool may run before its caller gets a `mcp://function-call/{uuid}` handle. */
  readonly asyncWaitMs: number;
  /** Isolation level of store-deployed bundles that do not name one (config-file bundles default to inline). */
  readonly isolation: IsolationLevel;
  /** MCPD_PROCESS_NETWORK: `none` starts `process`-level runners without any network (`host`: as the daemon). */
  readonly processNetwork: 'host' | 'none';
  readonly limits: PoolLimits;
}

export type StoreConfig =
  | {
      readonly kind: 'sqlite';
      readonly path: string;
      /** The call-record writer thread runs in the idle scheduling class while its backlog is small. */
      readonly writerIdle: boolean;
      /** Call records the writer may hold while writes fail before it refuses more (as lost). */
      readonly writerMaxBacklog: number;
    }
  | {
      readonly kind: 'dynamodb';
      readonly region: string;
      readonly endpoint: string | undefined;
      readonly tablePrefix: string;
    };

/** MCPD_REDIS_URL (or REDIS_URL), and MCPD_REDIS_PREFIX for its keys and channels. */
export interface RedisConfig {
  readonly url: string;
  readonly prefix: string;
}

export type BlobConfig =
  | { readonly kind: 'folder'; readonly root: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly region: string;
      readonly endpoint: string | undefined;
      readonly prefix: string;
    };

export interface Flags {
  host?: string | undefined;
  port?: string | undefined;
  config?: string | undefined;
  'data-dir'?: string | undefined;
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error', 'silent']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  if (LOOPBACK_NAMES.has(host)) return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export function loadConfig(mode: Mode, flags: Flags, env: Env = process.env): Readonly<Config> {
  const host = flags.host ?? nonEmpty(env['HOST']) ?? '127.0.0.1';
  const port = int('port', flags.port ?? nonEmpty(env['PORT']) ?? '8000', 0, 65535);
  const auth = loadAuthConfig(env);
  const open =
    (env['AUTH_PROVIDER'] ?? '').trim().toLowerCase() === 'none' && auth.adminStaticToken === undefined;
  if (mode === 'serve' && open && !isLoopback(host)) {
    throw new ConfigError(
      `Refusing to listen on ${host} with AUTH_PROVIDER=none: anyone who can reach it could call every tool. ` +
        'Bind to 127.0.0.1 (the default) or configure an auth provider.',
    );
  }
  const logLevel = env['LOG_LEVEL'] ?? 'info';
  if (!LOG_LEVELS.has(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}`);
  const configFile = flags.config ?? env['MCP_CONFIG_FILE'];
  const dataDir = resolve(flags['data-dir'] ?? env['MCPD_DATA_DIR'] ?? '.mcpd');
  return Object.freeze({
    mode,
    host,
    port,
    configFile: configFile ? resolve(configFile) : undefined,
    dataDir,
    auth,
    open,
    allowedHosts: Object.freeze(list(env['MCPD_ALLOWED_HOSTS'])),
    allowedOrigins: Object.freeze(list(env['MCPD_ALLOWED_ORIGINS'])),
    trustProxy: trustProxy(env['MCPD_TRUST_PROXY']),
    stateless: bool('MCPD_STATELESS', env['MCPD_STATELESS']),
    bodyLimitBytes: int(
      'MCPD_BODY_LIMIT',
      env['MCPD_BODY_LIMIT'] ?? String(4 * 1024 * 1024),
      1024,
      1024 ** 3,
    ),
    logLevel: logLevel as LoggerLevel,
    pageSize: int('MCPD_PAGE_SIZE', env['MCPD_PAGE_SIZE'] ?? '100', 1, 10_000),
    keepAliveMs: int('MCPD_KEEPALIVE_MS', env['MCPD_KEEPALIVE_MS'] ?? '15000', 10, 3_600_000),
    sseRetryMs: int('MCPD_SSE_RETRY_MS', env['MCPD_SSE_RETRY_MS'] ?? '1000', 0, 3_600_000),
    sessionIdleMs: int(
      'MCPD_SESSION_IDLE_MS',
      env['MCPD_SESSION_IDLE_MS'] ?? '1800000',
      1000,
      7 * 86_400_000,
    ),
    requestStateKey: secret('MCPD_REQUEST_STATE_KEY', env['MCPD_REQUEST_STATE_KEY']),
    cacheTtlMs: int('MCPD_CACHE_TTL_MS', env['MCPD_CACHE_TTL_MS'] ?? '0', 0, 86_400_000),
    store: storeConfig(env, dataDir),
    blobs: blobConfig(env, dataDir),
    redis: redisConfig(env),
    initializeTables: bool('INITIALIZE_TABLES', env['INITIALIZE_TABLES']),
    graphiql: bool('MCPD_GRAPHIQL', env['MCPD_GRAPHIQL']),
    recordCalls: bool('MCPD_RECORD_CALLS', env['MCPD_RECORD_CALLS'] ?? 'true'),
    durableAnswers: bool('MCPD_RECORD_DURABLE_ANSWERS', env['MCPD_RECORD_DURABLE_ANSWERS']),
    recordBeginDelayMs: int(
      'MCPD_RECORD_BEGIN_DELAY_MS',
      env['MCPD_RECORD_BEGIN_DELAY_MS'] ?? '20',
      0,
      60_000,
    ),
    isolation: isolation(env['MCPD_ISOLATION']),
    processNetwork: oneOf('MCPD_PROCESS_NETWORK', env['MCPD_PROCESS_NETWORK'] ?? 'host', [
      'host',
      'none',
    ] as const),
    asyncWaitMs: int('MCPD_ASYNC_WAIT_MS', env['MCPD_ASYNC_WAIT_MS'] ?? '3000', 0, 600_000),
    limits: Object.freeze({
      threads: int('MCPD_WORKER_THREADS', env['MCPD_WORKER_THREADS'] ?? '2', 1, 64),
      maxConcurrent: int('MCPD_MAX_CONCURRENT', env['MCPD_MAX_CONCURRENT'] ?? '64', 1, 100_000),
      maxQueued: int('MCPD_MAX_QUEUED', env['MCPD_MAX_QUEUED'] ?? '256', 0, 1_000_000),
      timeoutMs: int('MCPD_CALL_TIMEOUT_MS', env['MCPD_CALL_TIMEOUT_MS'] ?? '60000', 10, 86_400_000),
      graceMs: int('MCPD_ABORT_GRACE_MS', env['MCPD_ABORT_GRACE_MS'] ?? '2000', 0, 600_000),
      memoryMb: int('MCPD_WORKER_MEMORY_MB', env['MCPD_WORKER_MEMORY_MB'] ?? '256', 16, 65_536),
      maxResultBytes: int(
        'MCPD_MAX_RESULT_BYTES',
        env['MCPD_MAX_RESULT_BYTES'] ?? String(16 * 1024 * 1024),
        1024,
        1024 ** 3,
      ),
      idleMs: int('MCPD_WORKER_IDLE_MS', env['MCPD_WORKER_IDLE_MS'] ?? '60000', 100, 86_400_000),
    }),
    contentOffloadBytes: int(
      'MCPD_CONTENT_OFFLOAD_BYTES',
      env['MCPD_CONTENT_OFFLOAD_BYTES'] ?? String(256 * 1024),
      0,
      350 * 1024,
    ),
  });
}

function trustProxy(raw: string | undefined): boolean | number | readonly string[] {
  const v = nonEmpty(raw)?.toLowerCase();
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return int('MCPD_TRUST_PROXY', v, 1, 100);
  const entries = list(v);
  for (const e of entries) {
    const [address, bits, extra] = e.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))
    ) {
      throw new ConfigError(
        `MCPD_TRUST_PROXY must be true, false, a hop count, or IP addresses/CIDRs; "${e}" is none of these`,
      );
    }
  }
  return Object.freeze(entries);
}

function oneOf<T extends string>(name: string, raw: string, values: readonly T[]): T {
  const v = raw.trim().toLowerCase();
  if ((values as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(`${name} must be ${values.join(' or ')}, got "${raw}"`);
}

function isolation(raw: string | undefined): IsolationLevel {
  const v = nonEmpty(raw) ?? 'worker';
  if (!ISOLATION_LEVELS.includes(v as IsolationLevel))
    throw new ConfigError(`MCPD_ISOLATION must be inline, worker or process, got "${v}"`);
  return v as IsolationLevel;
}

function region(env: Env): string {
  return nonEmpty(env['AWS_REGION']) ?? nonEmpty(env['REGION_NAME']) ?? 'us-east-1';
}

function storeConfig(env: Env, dataDir: string): StoreConfig {
  const kind = (nonEmpty(env['MCPD_STORE']) ?? 'sqlite').toLowerCase();
  if (kind === 'sqlite') {
    return Object.freeze({
      kind,
      path: resolve(dataDir, nonEmpty(env['MCPD_SQLITE_FILE']) ?? 'mcpd.db'),
      writerIdle: bool('MCPD_RECORD_WRITER_IDLE', env['MCPD_RECORD_WRITER_IDLE'] ?? 'false'),
      writerMaxBacklog: int(
        'MCPD_RECORD_MAX_BACKLOG',
        env['MCPD_RECORD_MAX_BACKLOG'] ?? '100000',
        1000,
        10_000_000,
      ),
    });
  }
  if (kind === 'dynamodb') {
    return Object.freeze({
      kind,
      region: region(env),
      endpoint: url('DYNAMODB_ENDPOINT', env['DYNAMODB_ENDPOINT']),
      tablePrefix: nonEmpty(env['MCPD_TABLE_PREFIX']) ?? '',
    });
  }
  throw new ConfigError(`MCPD_STORE must be sqlite or dynamodb, got "${kind}"`);
}

function blobConfig(env: Env, dataDir: string): BlobConfig {
  const bucket = nonEmpty(env['FUNCT_BUCKET_NAME']);
  if (!bucket)
    return Object.freeze({
      kind: 'folder',
      root: resolve(dataDir, nonEmpty(env['MCPD_BLOB_DIR']) ?? 'blobs'),
    });
  return Object.freeze({
    kind: 's3',
    bucket,
    region: region(env),
    endpoint: url('S3_ENDPOINT', env['S3_ENDPOINT']),
    prefix: nonEmpty(env['MCPD_S3_PREFIX']) ?? '',
  });
}

function redisConfig(env: Env): RedisConfig | undefined {
  const name = nonEmpty(env['MCPD_REDIS_URL']) !== undefined ? 'MCPD_REDIS_URL' : 'REDIS_URL';
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  if (!URL.canParse(raw) || !/^rediss?:$/.test(new URL(raw).protocol)) {
    // The value may hold a password: name the variable, not what it says.
    throw new ConfigError(`${name} must be a redis:// or rediss:// URL`);
  }
  const prefix = env['MCPD_REDIS_PREFIX'] ?? 'mcpd:';
  if (!/^[A-Za-z0-9:_.-]{0,64}$/.test(prefix)) {
    throw new ConfigError('MCPD_REDIS_PREFIX may hold up to 64 letters, digits and : _ . -');
  }
  return Object.freeze({ url: raw, prefix });
}

function url(name: string, raw: string | undefined): string | undefined {
  const v = nonEmpty(raw);
  if (v === undefined) return undefined;
  if (!URL.canParse(v) || !/^https?:$/.test(new URL(v).protocol)) {
    throw new ConfigError(`${name} must be an http(s) URL, got "${v}"`);
  }
  return v;
}

function secret(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 32) throw new ConfigError(`${name} must be at least 32 characters`);
  return raw;
}

/** An empty or blank variable counts as unset (compose files often pass `PORT=${PORT}` through). */
function nonEmpty(raw: string | undefined): string | undefined {
  return raw === undefined || raw.trim() === '' ? undefined : raw;
}

function int(name: string, raw: string, min: number, max: number): number {
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function bool(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}
