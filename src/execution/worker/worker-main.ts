/**
 * The code of a bundle worker thread or child process. It is started from this function's source text (`new
 * Worker(code, { eval: true })`, or `node -e code`), so it must stay self-contained: no imports, only Node
 * built-ins through `process.getBuiltinModule`.
 * It imports bundle modules, runs one call per `call` message (many may run at once, as async code does), and
 * forwards every `ctx` method to the daemon, which holds the request. Not measured by coverage: V8 coverage does
 * not follow worker threads; the worker tests exercise it through the pool.
 */
export function workerMain(): void {
  type Msg = Record<string, unknown> & { t: string };
  // process.getBuiltinModule, not require: bundlers rewrite `require` in the source this worker starts from.
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  const { pathToFileURL } = process.getBuiltinModule('node:url');
  // A worker thread talks through its parent port; a `process`-level runner through its IPC channel.
  const port = parentPort ?? {
    postMessage: (m: unknown) => {
      process.send!(m);
    },
    on: (event: 'message', listener: (m: string) => void) => process.on(event, listener),
  };
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  // Written as a string: test runners rewrite `import()` in the source text this worker is started from.
  const dynamicImport = new Function('url', 'return import(url)') as (
    url: string,
  ) => Promise<Record<string, unknown>>;
  const calls = new Map<number, Ctx>();
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let rid = 0;

  const wireError = (err: unknown) => {
    const e = err as { name?: unknown; message?: unknown; code?: unknown; data?: unknown } | null;
    const out: Record<string, unknown> = {
      name: typeof e?.name === 'string' ? e.name : 'Error',
      message: typeof e?.message === 'string' ? e.message : String(err),
    };
    if (typeof e?.code === 'number') out['code'] = e.code;
    if (e?.data !== undefined) {
      try {
        out['data'] = structuredClone(e.data);
      } catch {
        // data that cannot cross threads is left out
      }
    }
    return out;
  };

  const load = (file: string) => {
    let m = modules.get(file);
    if (!m) {
      m = dynamicImport(pathToFileURL(file).href);
      modules.set(file, m);
      m.catch(() => modules.delete(file));
    }
    return m;
  };

  // Messages of one turn go in one postMessage (the daemon does the same); a batch that cannot be cloned is sent
  // one by one, and a result that cannot be cloned becomes that call's error.
  let outbox: Msg[] = [];
  const flush = () => {
    const batch = outbox;
    outbox = [];
    try {
      port.postMessage(batch.length === 1 ? batch[0] : batch);
      return;
    } catch {
      // sent one by one below
    }
    for (const m of batch) {
      try {
        port.postMessage(m);
      } catch (err) {
        if (m.t !== 'done') continue;
        // Functions, class instances with private state, sockets…: a result must be plain data.
        const message = `The result cannot be sent back to the daemon: ${(err as Error).message}`;
        port.postMessage({ t: 'done', id: m['id'], ok: false, error: { name: 'Error', message } });
      }
    }
  };
  const send = (m: Msg) => {
    outbox.push(m);
    if (outbox.length === 1) setImmediate(flush);
  };

  const ask = (id: number, op: string, args: unknown[]) =>
    new Promise((resolve, reject) => {
      const r = ++rid;
      waiting.set(r, { resolve, reject });
      send({ t: 'ctx', id, rid: r, op, args });
    });
  const tell = (id: number, op: string, args: unknown[]) => send({ t: 'ctx', id, rid: undefined, op, args });

  /**
   * The `ctx` a tool receives. Built per call, so it is cheap: its methods are getters that make their function when
   * read (destructuring `const { log } = ctx` still works), and its AbortController exists only once the tool reads
   * `signal` or the call is aborted. Most calls read neither.
   */
  class Ctx {
    readonly endpointId: unknown;
    readonly requestId: unknown;
    readonly clientCapabilities: unknown;
    readonly settings: unknown;
    readonly #id: number;
    readonly #info: Record<string, unknown>;
    #controller: AbortController | undefined;
    constructor(id: number, m: Msg, info: Record<string, unknown>) {
      this.#id = id;
      this.#info = info;
      this.endpointId = info['endpointId'];
      this.requestId = info['requestId'];
      this.clientCapabilities = info['clientCapabilities'];
      this.settings = m['settings'];
    }
    get signal(): AbortSignal {
      return (this.#controller ??= new AbortController()).signal;
    }
    /** Not a method: tool code sees only the documented ctx. */
    static abort(ctx: Ctx, reason: Error): void {
      (ctx.#controller ??= new AbortController()).abort(reason);
    }
    // ctx methods that forward to the daemon: `ask` ones wait for its answer, `tell` ones do not.
    static {
      const forward = (ops: string[], send: typeof ask | typeof tell) => {
        for (const op of ops) {
          Object.defineProperty(Ctx.prototype, op, {
            get(this: Ctx) {
              const id = this.#id;
              return (...a: unknown[]) => send(id, op, a);
            },
          });
        }
      };
      forward(['progress', 'sample', 'elicit', 'listRoots', 'requestInputs', 'notify'], ask);
      forward(['log', 'notifyListChanged', 'resourceUpdated'], tell);
    }
    declare readonly log: (...a: unknown[]) => void;
    get inputResponse() {
      const answers = (this.#info['inputResponses'] ?? {}) as Record<string, Record<string, unknown>>;
      return (key: string) => answers[key];
    }
    get beginTask() {
      return () => tell(this.#id, 'beginTask', []);
    }
    get closeStream() {
      return () => {
        tell(this.#id, 'closeStream', []);
        return true;
      };
    }
    get sleep() {
      const signal = this.signal;
      return (ms: number) =>
        new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(signal.reason as Error);
          const timer = setTimeout(resolve, ms);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(signal.reason as Error);
          });
        });
    }
  }

  const loggerFor = (ctx: Ctx) => {
    const logger = {
      debug: (...a: unknown[]) => ctx.log('debug', a.join(' ')),
      info: (...a: unknown[]) => ctx.log('info', a.join(' ')),
      warn: (...a: unknown[]) => ctx.log('warning', a.join(' ')),
      warning: (...a: unknown[]) => ctx.log('warning', a.join(' ')),
      error: (...a: unknown[]) => ctx.log('error', a.join(' ')),
      child: () => logger,
    };
    return logger;
  };

  const run = async (m: Msg) => {
    const id = m['id'] as number;
    const ctx = new Ctx(id, m, m['info'] as Record<string, unknown>);
    calls.set(id, ctx);
    try {
      const ns = await load(m['file'] as string);
      const className = m['className'] as string | undefined;
      const fnName = m['fn'] as string;
      let value: unknown;
      if (className) {
        const Cls = (ns[className] ?? (ns['default'] as Record<string, unknown> | undefined)?.[className]) as
          (new (l: unknown, s: unknown) => Record<string, unknown>) | undefined;
        if (typeof Cls !== 'function') throw new Error(`Class ${className} not found`);
        const instance = new Cls(loggerFor(ctx), { ...(m['settings'] as object) });
        const method = instance[fnName];
        if (typeof method !== 'function') throw new Error(`Method ${className}.${fnName} not found`);
        value = await (method as (a: unknown, c: unknown) => unknown).call(instance, m['args'], ctx);
      } else {
        const fn = ns[fnName];
        if (typeof fn !== 'function') throw new Error(`Function ${fnName} not found`);
        value = await (fn as (a: unknown, c: unknown) => unknown)(m['args'], ctx);
      }
      const limit = m['maxResultBytes'] as number;
      const size = typeof value === 'string' ? value.length : (JSON.stringify(value) ?? '').length;
      if (size > limit) {
        throw Object.assign(new Error(`The result is too large (${size} bytes; the limit is ${limit})`), {
          name: 'ResultTooLarge',
        });
      }
      send({ t: 'done', id, ok: true, value });
    } catch (err) {
      send({ t: 'done', id, ok: false, error: wireError(err) });
    } finally {
      calls.delete(id);
    }
  };

  // A child process whose daemon is gone (even by SIGKILL) ends with it.
  if (!parentPort) process.on('disconnect', () => process.exit(0));
  const receive = (m: Msg) => {
    if (m.t === 'call') void run(m);
    else if (m.t === 'abort') {
      const ctx = calls.get(m['id'] as number);
      if (ctx) Ctx.abort(ctx, new Error(String(m['reason'])));
    } else if (m.t === 'reply') {
      const w = waiting.get(m['rid'] as number);
      if (!w) return;
      waiting.delete(m['rid'] as number);
      if (m['ok']) w.resolve(m['value']);
      else {
        const e = m['error'] as { name: string; message: string; code?: number; data?: unknown };
        w.reject(Object.assign(new Error(e.message), { name: e.name, code: e.code, data: e.data }));
      }
    }
  };
  // The daemon sends JSON text (one message or an array of them).
  port.on('message', (text: string) => {
    const m = JSON.parse(text) as Msg | Msg[];
    if (Array.isArray(m)) for (const one of m) receive(one);
    else receive(m);
  });
}
