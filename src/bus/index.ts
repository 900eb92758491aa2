/**
 * The bus port: how daemon instances that share a store tell each other what changed. A change made through one
 * instance (a deploy, a GraphQL mutation, an admin refresh) is then served, and announced to connected clients, by
 * every instance, not only after a restart. The bus carries endpoint ids, never records or code: each instance
 * re-reads the store itself, so a lost or forged registry message can at worst cause a needless re-read (a forged
 * task cancellation or notice can cancel the task it names, or tell an endpoint's clients to re-read a list or a
 * resource: whoever can publish on the bus is trusted that far).
 *
 * It also carries task cancellations (ids only): a `tasks/cancel` that reaches an instance other than the one that
 * runs the task (2026-07-28 requests go to any instance) is passed on, and the instance that holds a task of that
 * id, endpoint and owner cancels it. And the notifications bundle code asks for (`ctx.resourceUpdated`,
 * `ctx.notifyListChanged`), so that clients listening on any instance hear them.
 *
 * Adapters: `none.ts` (a lone daemon), `memory.ts` (instances in one process), `redis.ts` (instances anywhere).
 */

/** A tasks/cancel for a task that another instance may be running. */
export interface TaskCancel {
  readonly endpointId: string;
  readonly taskId: string;
  /** The principal that asked: only a task of this owner is cancelled. */
  readonly owner: string;
}

/** A notification bundle code asked for, for the sessions and listen streams of every instance. */
export type EndpointNotice =
  | { readonly endpointId: string; readonly listChanged: 'tools' | 'resources' | 'prompts' }
  | { readonly endpointId: string; readonly resourceUpdated: string };

export interface BusListener {
  /** Another instance changed this partition's registry. */
  registryChanged(partition: string): void;
  /** Another instance was asked to cancel a task it does not hold. */
  taskCancelled(cancel: TaskCancel): void;
  /** Bundle code on another instance asked for a notification. */
  notice(notice: EndpointNotice): void;
  /** Messages may have been missed (the bus was disconnected): re-read everything loaded. */
  resync(): void;
}

export interface BusStats {
  /** Messages this instance sent. */
  published: number;
  /** Messages from other instances. */
  received: number;
  /** Messages that could not be sent (sent again on reconnect), or arrived malformed. */
  failures: number;
  /** Times the bus came back after a disconnection (each one triggers a resync). */
  resyncs: number;
}

export interface Bus {
  readonly kind: 'none' | 'memory' | 'redis';
  readonly stats: BusStats;
  /** True while messages flow both ways (always true for `none` and `memory`). */
  readonly connected: boolean;
  /**
   * Tells the other instances that a partition's registry changed. Never waits for the bus nor fails the change
   * that was made: a message that cannot be sent is logged, counted, and sent again once the bus is back.
   */
  publishRegistryChange(partition: string): void;
  /** Asks the other instances to cancel a task (sent again once the bus is back, as a registry change is). */
  publishTaskCancel(cancel: TaskCancel): void;
  /** Tells the other instances' clients what bundle code here asked for (dropped, not kept, while the bus is down). */
  publishNotice(notice: EndpointNotice): void;
  /** Starts delivering other instances' messages to `listener` (one listener per instance). */
  subscribe(listener: BusListener): Promise<void>;
  close(): Promise<void>;
}

export const newBusStats = (): BusStats => ({ published: 0, received: 0, failures: 0, resyncs: 0 });
