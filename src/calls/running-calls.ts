/**
 * The calls a recorder has begun and not yet ended, oldest first, as an intrusive doubly linked list.
 *
 * Not a Set: with calls in worker threads (so calls outlive young-generation collections), a Set that gained and
 * lost an entry on every call made V8 promote whole requests to the old generation (~4 KB per request, measured
 * with the sampling heap profiler; a quarter of the throughput). The likely path: a resized hash table keeps a link
 * to its successor, so an outgrown table in the old generation keeps newer ones, and what they reach, alive. A
 * list touches nothing but the calls themselves, and an ended call is unlinked completely.
 */
export interface RunningCall {
  readonly uuid: string;
  readonly t0: number;
  /** Links, owned by the list. */
  prev: RunningCall | null;
  next: RunningCall | null;
  linked: boolean;
}

export class RunningCalls<T extends RunningCall> {
  private head: T | null = null;
  private tail: T | null = null;
  /** The oldest call whose begin record is not written yet (deferred calls only); every later one is newer. */
  private cursor: T | null = null;

  /** Appends a call; `deferred` when its begin record waits for `due`. */
  add(call: T, deferred: boolean): void {
    call.prev = this.tail;
    call.next = null;
    call.linked = true;
    if (this.tail) this.tail.next = call;
    else this.head = call;
    this.tail = call;
    if (deferred && !this.cursor) this.cursor = call;
  }

  /** Unlinks a call; false when it was not in the list (ended before, or cleared). */
  remove(call: T): boolean {
    if (!call.linked) return false;
    if (this.cursor === call) this.cursor = call.next as T | null;
    if (call.prev) call.prev.next = call.next;
    else this.head = call.next as T | null;
    if (call.next) call.next.prev = call.prev;
    else this.tail = call.prev as T | null;
    call.prev = null;
    call.next = null;
    call.linked = false;
    return true;
  }

  /** The deferred calls that began at or before `cutoff`, in order; they are no longer deferred afterwards. */
  *due(cutoff: number): Generator<T> {
    while (this.cursor && this.cursor.t0 <= cutoff) {
      const call = this.cursor;
      this.cursor = call.next as T | null;
      yield call;
    }
  }

  /** When the next deferred call began, if there is one. */
  get nextDeferred(): number | undefined {
    return this.cursor?.t0;
  }

  find(uuid: string): T | undefined {
    for (let c = this.head; c; c = c.next as T | null) if (c.uuid === uuid) return c;
    return undefined;
  }

  /** Empties the list and returns what it held, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let c = this.head; c;) {
      const next = c.next as T | null;
      c.prev = null;
      c.next = null;
      c.linked = false;
      out.push(c);
      c = next;
    }
    this.head = this.tail = this.cursor = null;
    return out;
  }
}
