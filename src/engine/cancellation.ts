/**
 * Cancellation state of one request. The AbortSignal handed to bundle code is created only when code asks for
 * it: most calls never do, and an AbortController per request is a measurable share of the hot path.
 */
export class Cancellation {
  private controller: AbortController | undefined;
  aborted = false;
  reason: unknown;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  private listeners: (() => void)[] | undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const l of listeners) l();
  }

  /** Calls `listener` on abort, without creating the AbortSignal (the worker pool's hot path). */
  onAbort(listener: () => void): void {
    if (this.aborted) listener();
    else (this.listeners ??= []).push(listener);
  }

  offAbort(listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.listeners?.splice(i, 1);
  }
}
