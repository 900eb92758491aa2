/** Messages between the daemon and its bundle worker threads (see pool.ts and worker-main.ts). */

export interface CallInfo {
  readonly endpointId: string;
  readonly requestId: string | number;
  readonly clientCapabilities: Readonly<Record<string, unknown>>;
  /** 2026-07-28 retries: the client's answers so far. */
  readonly inputResponses: Readonly<Record<string, unknown>>;
}

/** daemon → worker */
export type ToWorker =
  | {
      t: 'call';
      id: number;
      file: string;
      className: string | undefined;
      fn: string;
      settings: Readonly<Record<string, unknown>>;
      args: Record<string, unknown>;
      info: CallInfo;
      maxResultBytes: number;
    }
  | { t: 'abort'; id: number; reason: string }
  | { t: 'reply'; rid: number; ok: boolean; value?: unknown; error?: WireError };

/** worker → daemon */
export type FromWorker =
  | { t: 'done'; id: number; ok: boolean; value?: unknown; error?: WireError }
  | { t: 'ctx'; id: number; rid: number | undefined; op: CtxOp; args: unknown[] };

export type CtxOp =
  | 'log'
  | 'progress'
  | 'sample'
  | 'elicit'
  | 'listRoots'
  | 'requestInputs'
  | 'notify'
  | 'notifyListChanged'
  | 'resourceUpdated'
  | 'closeStream'
  | 'beginTask'
  | 'inputResponse';

export interface WireError {
  name: string;
  message: string;
  code?: number;
  data?: unknown;
}
