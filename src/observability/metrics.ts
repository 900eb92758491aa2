/**
 * `/metrics` in the Prometheus text format (prom-client), on a registry of the daemon's own (several daemons may
 * share a process in tests). Nothing here sits on the request path: every figure is read from counters the parts
 * already keep (engine, worker pools, recorder, sessions, auth) when Prometheus scrapes. Labels never name an
 * endpoint, a user or a tool, so the output reveals no tenant and its size does not grow with them.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CallCounts } from '../execution/run.js';
import type { WorkerCounters } from '../execution/worker/counters.js';
import type { Bus } from '../bus/index.js';
import type { RecorderStats } from '../calls/recorder.js';
import { VERSION } from '../version.js';

/** Counted by the HTTP auth layer. */
export interface AuthCounters {
  /** Requests refused, by stable code (MCPD_AUTH_INVALID, MCPD_AUTH_FORBIDDEN, …, MCPD_AUTH_INVISIBLE). */
  readonly refused: Map<string, number>;
  /** `POST /auth/token` answers by outcome (ok, bad_credentials, rate_limited, unavailable, invalid). */
  readonly logins: Map<string, number>;
}

export const newAuthCounters = (): AuthCounters => ({ refused: new Map(), logins: new Map() });

export function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export interface MetricSources {
  readonly calls: CallCounts;
  readonly workers: { readonly counters: WorkerCounters; readonly threads: number };
  readonly recorder?: { readonly stats: RecorderStats };
  readonly sessions: { readonly size: number };
  readonly endpoints: { ids(): string[] };
  readonly auth?: AuthCounters;
  /** The bus to other instances, when there is one. */
  readonly bus?: Pick<Bus, 'stats' | 'connected'>;
}

/** A counter whose value is read from a source at scrape time (it only ever grows there). */
function pulled(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
  read: () => Iterable<[Record<string, string>, number]>,
): void {
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, value] of read()) {
        const key = JSON.stringify(labels);
        const delta = value - (seen.get(key) ?? 0);
        if (delta > 0) this.inc(labels, delta);
        seen.set(key, value);
      }
    },
  });
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

export function createMetrics(src: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mcpd_' });
  new Gauge({
    name: 'mcpd_build_info',
    help: 'Version of this daemon',
    labelNames: ['version'],
    registers: [registry],
  })
    .labels(VERSION)
    .set(1);

  pulled(registry, 'mcpd_calls_total', 'Bundle calls by kind and outcome', ['kind', 'outcome'], function* () {
    for (const [kind, c] of Object.entries(src.calls)) {
      yield [{ kind, outcome: 'ok' }, c.ok];
      yield [{ kind, outcome: 'failed' }, c.failed];
    }
  });

  const w = src.workers.counters;
  gauge(registry, 'mcpd_worker_threads', 'Worker threads alive', () => src.workers.threads);
  pulled(registry, 'mcpd_worker_threads_started_total', 'Worker threads started', [], () => [
    [{}, w.spawned],
  ]);
  pulled(registry, 'mcpd_worker_threads_ended_total', 'Worker threads ended', [], () => [[{}, w.ended]]);
  pulled(
    registry,
    'mcpd_worker_crashes_total',
    'Worker threads that crashed, exited or ran out of memory',
    [],
    () => [[{}, w.crashed]],
  );
  pulled(registry, 'mcpd_call_timeouts_total', 'Calls stopped by the per-call time limit', [], () => [
    [{}, w.timeouts],
  ]);
  pulled(
    registry,
    'mcpd_calls_refused_busy_total',
    'Calls refused because an endpoint queue was full',
    [],
    () => [[{}, w.busy]],
  );

  const rec = src.recorder;
  if (rec) {
    pulled(registry, 'mcpd_call_records_written_total', 'Call records written to the store', [], () => [
      [{}, rec.stats.written],
    ]);
    pulled(
      registry,
      'mcpd_call_record_write_failures_total',
      'Failed call-record batch writes (retried)',
      [],
      () => [[{}, rec.stats.failedWrites]],
    );
    pulled(
      registry,
      'mcpd_call_records_lost_total',
      'Call records dropped: refused by the store for good, or over what its writer may hold while writes fail',
      [],
      () => [[{}, rec.stats.lost]],
    );
    pulled(
      registry,
      'mcpd_call_records_offloaded_total',
      'Call contents stored in the blob store',
      [],
      () => [[{}, rec.stats.offloaded]],
    );
    gauge(
      registry,
      'mcpd_call_records_pending',
      'Call records waiting to be written',
      () => rec.stats.pending,
    );
  }

  const bus = src.bus;
  if (bus) {
    pulled(
      registry,
      'mcpd_bus_messages_total',
      'Registry changes told to or heard from other instances',
      ['direction'],
      () => [
        [{ direction: 'sent' }, bus.stats.published],
        [{ direction: 'received' }, bus.stats.received],
      ],
    );
    pulled(
      registry,
      'mcpd_bus_failures_total',
      'Bus messages that could not be sent (sent again on reconnect) or arrived malformed',
      [],
      () => [[{}, bus.stats.failures]],
    );
    pulled(
      registry,
      'mcpd_bus_resyncs_total',
      'Re-reads of every loaded endpoint after the bus reconnected',
      [],
      () => [[{}, bus.stats.resyncs]],
    );
    gauge(registry, 'mcpd_bus_connected', '1 while the bus to other instances is connected', () =>
      bus.connected ? 1 : 0,
    );
  }

  gauge(
    registry,
    'mcpd_sessions',
    'Open MCP sessions (Streamable HTTP and legacy SSE)',
    () => src.sessions.size,
  );
  gauge(
    registry,
    'mcpd_endpoints_loaded',
    'Endpoints whose registry is loaded',
    () => src.endpoints.ids().length,
  );

  const auth = src.auth;
  if (auth) {
    pulled(
      registry,
      'mcpd_auth_refused_total',
      'Requests refused by authentication or policy',
      ['code'],
      () => [...auth.refused.entries()].map(([code, n]): [Record<string, string>, number] => [{ code }, n]),
    );
    pulled(registry, 'mcpd_logins_total', 'POST /auth/token answers by outcome', ['outcome'], () =>
      [...auth.logins.entries()].map(([outcome, n]): [Record<string, string>, number] => [{ outcome }, n]),
    );
  }
  return registry;
}
