/**
 * The bus over Redis pub/sub: one channel (`{prefix}registry`) that every instance publishes to and listens on.
 * Two connections, as Redis requires for a subscriber. Pub/sub forgets what it could not deliver, so:
 * - a message this instance could not send (Redis down) is kept and sent once the connection is back;
 * - when this instance's subscription comes back after a disconnection, it re-reads everything it has loaded
 *   (`resync`), since others' messages of that time are lost.
 * Messages carry a random id of the sending process, so an instance skips its own. A message is a registry change
 * (`partition`), a task cancellation (`task`) or a notification bundle code asked for (`notice`).
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import { PARTITION } from '../registry/endpoints.js';
import {
  type Bus,
  type BusListener,
  type BusStats,
  type EndpointNotice,
  newBusStats,
  type TaskCancel,
} from './index.js';

export interface RedisBusOptions {
  /** `redis://` or `rediss://` URL, with credentials and database when needed. */
  readonly url: string;
  /** Channel prefix: instances that must hear each other share it. */
  readonly prefix: string;
  readonly logger: Logger;
  /** First retry of a change Redis refused while connected (default 1 s; doubles up to 30 s). */
  readonly retryMs?: number;
}

type Message =
  | { v: 1; origin: string; partition: string }
  | { v: 1; origin: string; task: TaskCancel }
  | { v: 1; origin: string; notice: EndpointNotice };

/** Longer than any message this bus sends; anything longer is not one of ours. */
const MAX_MESSAGE = 4096;
/** A resource URI in a notice, at most (a longer one is not sent: the other instances' clients miss it). */
const MAX_URI = 2048;
const LISTS = new Set(['tools', 'resources', 'prompts']);
/** Task ids are call ids (UUIDs). */
const MAX_ID = 256;
/** Owners are principal ids (`oidc:<issuer>#<sub>` can be long). */
const MAX_OWNER = 1024;
/** Cancellations kept while Redis is away, newest last; older ones are dropped beyond this. */
const MAX_UNSENT_CANCELS = 1000;

export class RedisBus implements Bus {
  readonly kind = 'redis';
  readonly stats: BusStats = newBusStats();
  private readonly origin = randomUUID();
  private readonly channel: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly unsent = new Set<string>();
  private unsentCancels: TaskCancel[] = [];
  private listener: BusListener | undefined;
  private subscribed = false;
  private listening: Promise<void> | undefined;
  /** Set once the first subscription is in place: every later one follows a disconnection. */
  private everSubscribed = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private closing: Promise<void> | undefined;
  private down = { pub: false, sub: false };

  constructor(private readonly opts: RedisBusOptions) {
    this.channel = `${opts.prefix}registry`;
    this.retryMs = opts.retryMs ?? 1000;
    const common: RedisOptions = {
      lazyConnect: true,
      // Reconnect for as long as the daemon runs, backing off to every 5 s.
      retryStrategy: (times) => Math.min(times * 200, 5000),
      maxRetriesPerRequest: 1,
    };
    // A message is never queued inside the client: one that cannot go now is kept in `unsent` (one per partition).
    this.pub = new Redis(opts.url, { ...common, enableOfflineQueue: false, connectionName: 'mcpd-bus-pub' });
    this.sub = new Redis(opts.url, { ...common, autoResubscribe: false, connectionName: 'mcpd-bus-sub' });
    this.watch(this.pub, 'pub');
    this.watch(this.sub, 'sub');
    this.pub.on('ready', () => this.sendUnsent());
    this.sub.on('ready', () => void this.listen());
    this.sub.on('close', () => {
      this.subscribed = false;
    });
    this.sub.on('message', (_channel: string, text: string) => this.onMessage(text));
  }

  get connected(): boolean {
    return this.pub.status === 'ready' && this.subscribed;
  }

  publishRegistryChange(partition: string): void {
    if (this.closed) return;
    if (this.pub.status !== 'ready') {
      this.keep(partition, new Error(`not connected (${this.pub.status})`));
      return;
    }
    this.send({ v: 1, origin: this.origin, partition }, (err) => this.keep(partition, err));
  }

  publishTaskCancel(cancel: TaskCancel): void {
    if (this.closed) return;
    const task = cancelOf(cancel);
    if (!task) return this.unsendable('task cancellation');
    if (this.pub.status !== 'ready') {
      this.keepCancel(task, new Error(`not connected (${this.pub.status})`));
      return;
    }
    this.send({ v: 1, origin: this.origin, task }, (err) => this.keepCancel(task, err));
  }

  publishNotice(notice: EndpointNotice): void {
    if (this.closed) return;
    // Checked as the other instances will check it: what they would refuse is not sent.
    const valid = noticeOf(notice);
    if (!valid) return this.unsendable('notification');
    // A notification is news of the moment: one that cannot go now is dropped (and counted), not kept.
    if (this.pub.status !== 'ready') {
      this.stats.failures++;
      return;
    }
    this.send({ v: 1, origin: this.origin, notice: valid }, (err) => {
      this.stats.failures++;
      this.opts.logger.warn({ err }, 'bus: could not pass a notification on');
    });
  }

  /** A message the other instances would refuse (an owner or URI too long for it): counted and logged, not sent. */
  private unsendable(what: string): void {
    this.stats.failures++;
    this.opts.logger.warn(`bus: a ${what} too large or malformed to pass on was not sent`);
  }

  private send(message: Message, failed: (err: unknown) => void): void {
    const text = JSON.stringify(message);
    if (text.length > MAX_MESSAGE) return this.unsendable('message');
    this.pub.publish(this.channel, text).then(() => {
      this.stats.published++;
      this.retryMs = this.opts.retryMs ?? 1000;
    }, failed);
  }

  async subscribe(listener: BusListener): Promise<void> {
    this.listener = listener;
    // A Redis that is down at start does not stop the daemon: both clients keep retrying in the background, and
    // the first subscription that succeeds later resyncs.
    await Promise.all([
      this.pub.connect().catch((err: unknown) => this.report('pub', err)),
      this.sub.connect().catch((err: unknown) => this.report('sub', err)),
    ]);
    if (this.sub.status === 'ready' && !this.subscribed) await this.listen();
    // From here on, any subscription (the first one too, when Redis was down at start) may have missed messages.
    this.everSubscribed = true;
  }

  /** Sends what is in flight, then disconnects. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.listener = undefined;
    this.closing = Promise.all(
      [this.pub, this.sub].map((c) =>
        c.status === 'ready'
          ? c.quit().then(
              () => undefined,
              () => c.disconnect(),
            )
          : c.disconnect(),
      ),
    ).then(() => undefined);
    return this.closing;
  }

  /** Subscribes (once at a time); every subscription after the first follows a disconnection and resyncs. */
  private listen(): Promise<void> {
    return (this.listening ??= this.subscribeChannel().finally(() => {
      this.listening = undefined;
    }));
  }

  private async subscribeChannel(): Promise<void> {
    if (this.closed || this.subscribed) return;
    try {
      await this.sub.subscribe(this.channel);
    } catch (err) {
      this.report('sub', err);
      return;
    }
    this.subscribed = true;
    // Subscribed first, then re-read: a change made meanwhile is either in what resync reads or in a message.
    if (this.everSubscribed) {
      this.stats.resyncs++;
      this.listener?.resync();
    }
    this.everSubscribed = true;
  }

  private onMessage(text: string): void {
    const m = parse(text);
    if (!m) {
      this.stats.failures++;
      this.opts.logger.warn({ bytes: text.length }, 'bus: ignored a malformed message');
      return;
    }
    if (m.origin === this.origin) return;
    this.stats.received++;
    if ('task' in m) this.listener?.taskCancelled(m.task);
    else if ('notice' in m) this.listener?.notice(m.notice);
    else this.listener?.registryChanged(m.partition);
  }

  private keep(partition: string, err: unknown): void {
    this.unsent.add(partition);
    this.opts.logger.warn(
      { err, partition },
      'bus: could not tell other instances of a change; will send it when Redis is back',
    );
    this.retryLater();
  }

  private keepCancel(task: TaskCancel, err: unknown): void {
    this.unsentCancels.push(task);
    if (this.unsentCancels.length > MAX_UNSENT_CANCELS) this.unsentCancels.shift();
    this.opts.logger.warn(
      { err, task: task.taskId },
      'bus: could not pass a task cancellation on; will send it when Redis is back',
    );
    this.retryLater();
  }

  private retryLater(): void {
    this.stats.failures++;
    // Refused while connected (out of memory, a missing ACL right): no reconnection will come to send it, so try
    // again on a timer, backing off to every 30 s.
    if (this.pub.status === 'ready' && !this.retryTimer && !this.closed) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.sendUnsent();
      }, this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(this.retryMs * 2, 30_000);
    }
  }

  private sendUnsent(): void {
    const pending = [...this.unsent];
    this.unsent.clear();
    for (const p of pending) this.publishRegistryChange(p);
    const cancels = this.unsentCancels;
    this.unsentCancels = [];
    for (const c of cancels) this.publishTaskCancel(c);
  }

  /** Logs a connection going down once (ioredis reports every failed retry), and coming back. */
  private watch(client: Redis, name: 'pub' | 'sub'): void {
    client.on('error', (err: unknown) => this.report(name, err));
    client.on('ready', () => {
      if (!this.down[name]) return;
      this.down[name] = false;
      this.opts.logger.info({ connection: name }, 'bus: Redis connection is back');
    });
  }

  private report(name: 'pub' | 'sub', err: unknown): void {
    if (this.closed || this.down[name]) return;
    this.down[name] = true;
    this.opts.logger.error({ err, connection: name }, 'bus: Redis connection lost; retrying');
  }
}

function parse(text: string): Message | undefined {
  if (text.length > MAX_MESSAGE) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = m as {
    v?: unknown;
    origin?: unknown;
    partition?: unknown;
    task?: unknown;
    notice?: unknown;
  } | null;
  if (typeof o !== 'object' || o === null || o.v !== 1 || typeof o.origin !== 'string') return undefined;
  if (o.notice !== undefined) {
    const notice = noticeOf(o.notice);
    return notice ? { v: 1, origin: o.origin, notice } : undefined;
  }
  if (o.task !== undefined) {
    const task = cancelOf(o.task);
    return task ? { v: 1, origin: o.origin, task } : undefined;
  }
  if (typeof o.partition !== 'string' || !PARTITION.test(o.partition)) return undefined;
  return { v: 1, origin: o.origin, partition: o.partition };
}

function noticeOf(value: unknown): EndpointNotice | undefined {
  const n = value as { endpointId?: unknown; listChanged?: unknown; resourceUpdated?: unknown } | null;
  if (typeof n !== 'object' || n === null) return undefined;
  if (typeof n.endpointId !== 'string' || !PARTITION.test(n.endpointId)) return undefined;
  const endpointId = n.endpointId;
  if (typeof n.listChanged === 'string' && LISTS.has(n.listChanged)) {
    return { endpointId, listChanged: n.listChanged as 'tools' | 'resources' | 'prompts' };
  }
  if (
    typeof n.resourceUpdated === 'string' &&
    n.resourceUpdated !== '' &&
    n.resourceUpdated.length <= MAX_URI
  ) {
    return { endpointId, resourceUpdated: n.resourceUpdated };
  }
  return undefined;
}

function cancelOf(value: unknown): TaskCancel | undefined {
  const t = value as Partial<Record<keyof TaskCancel, unknown>> | null;
  if (typeof t !== 'object' || t === null) return undefined;
  const { endpointId, taskId, owner } = t;
  if (typeof endpointId !== 'string' || !PARTITION.test(endpointId)) return undefined;
  if (typeof taskId !== 'string' || taskId === '' || taskId.length > MAX_ID) return undefined;
  if (typeof owner !== 'string' || owner.length > MAX_OWNER) return undefined;
  return { endpointId, taskId, owner };
}
