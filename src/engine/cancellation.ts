/**
 * Cancellation state of one request. The AbortSignal handed to bundle code is created only when code asks for
 * it: most calls never do, and an AbortController per request is a measurable share of the hot path.
 */
export class Cancellation {
  private controller: AbortController | undefined;
  aborted = false;
  reason: unknown;

  /** Set when the call ran out of time: bundle code is told to stop, but the request still gets its answer. */
  private expiredReason: unknown;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
      else if (this.expiredReason !== undefined) this.controller.abort(this.expiredReason);
    }
    return this.controller.signal;
  }

  /** Aborts the signal handed to bundle code without cancelling the request (a timeout, not the client). */
  expire(reason: unknown): void {
    if (this.aborted || this.expiredReason !== undefined) return;
    this.expiredReason = reason;
    this.controller?.abort(reason);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}
