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
  const calls = new Map<number, AbortController>();
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

  const makeCtx = (m: Msg, signal: AbortSignal) => {
    const id = m['id'] as number;
    const info = m['info'] as Record<string, unknown>;
    const answers = (info['inputResponses'] ?? {}) as Record<string, Record<string, unknown>>;
    return {
      signal,
      endpointId: info['endpointId'],
      requestId: info['requestId'],
      clientCapabilities: info['clientCapabilities'],
      settings: m['settings'],
      log: (...a: unknown[]) => tell(id, 'log', a),
      progress: (...a: unknown[]) => ask(id, 'progress', a),
      sample: (...a: unknown[]) => ask(id, 'sample', a),
      elicit: (...a: unknown[]) => ask(id, 'elicit', a),
      listRoots: (...a: unknown[]) => ask(id, 'listRoots', a),
      requestInputs: (...a: unknown[]) => ask(id, 'requestInputs', a),
      inputResponse: (key: string) => answers[key],
      notify: (...a: unknown[]) => ask(id, 'notify', a),
      notifyListChanged: (...a: unknown[]) => tell(id, 'notifyListChanged', a),
      resourceUpdated: (...a: unknown[]) => tell(id, 'resourceUpdated', a),
      beginTask: () => tell(id, 'beginTask', []),
      closeStream: () => {
        tell(id, 'closeStream', []);
        return true;
      },
      sleep: (ms: number) =>
        new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(signal.reason as Error);
          const timer = setTimeout(resolve, ms);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(signal.reason as Error);
          });
        }),
    };
  };

  const run = async (m: Msg) => {
    const id = m['id'] as number;
    const controller = new AbortController();
    calls.set(id, controller);
    try {
      const ns = await load(m['file'] as string);
      const className = m['className'] as string | undefined;
      const fnName = m['fn'] as string;
      const ctx = makeCtx(m, controller.signal);
      const logger = {
        debug: (...a: unknown[]) => ctx.log('debug', a.join(' ')),
        info: (...a: unknown[]) => ctx.log('info', a.join(' ')),
        warn: (...a: unknown[]) => ctx.log('warning', a.join(' ')),
        warning: (...a: unknown[]) => ctx.log('warning', a.join(' ')),
        error: (...a: unknown[]) => ctx.log('error', a.join(' ')),
        child: () => logger,
      };
      let value: unknown;
      if (className) {
        const Cls = (ns[className] ?? (ns['default'] as Record<string, unknown> | undefined)?.[className]) as
          (new (l: unknown, s: unknown) => Record<string, unknown>) | undefined;
        if (typeof Cls !== 'function') throw new Error(`Class ${className} not found`);
        const instance = new Cls(logger, { ...(m['settings'] as object) });
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
    else if (m.t === 'abort') calls.get(m['id'] as number)?.abort(new Error(String(m['reason'])));
    else if (m.t === 'reply') {
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
