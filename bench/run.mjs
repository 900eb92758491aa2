// mcpd benchmark: mcpd against a bare Fastify server and the official SDK server, measured in one run.
//   HTTP: tools/call echo on one session, 32 connections (autocannon): req/s and p99 latency
//   stdio: pipelined tools/call echo; cold start to the first initialize answer; RSS per idle HTTP session
//   registry: 2026 tools/call spread over 1,000 tools on 100 store-backed endpoints vs 10 tools on one
// Usage: npm run bench [-- --duration 10 --rounds 3 --sessions 2000 --only http,stdio,cold,rss,registry --tool autocannon|wrk --quick]
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { seedRegistry } from './seed-registry.mjs';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    sessions: { type: 'string', default: '2000' },
    messages: { type: 'string', default: '20000' },
    starts: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'http,stdio,cold,rss,registry' },
    tool: { type: 'string' },
  },
});
const DURATION = opts.quick ? 3 : Number(opts.duration);
const SESSIONS = opts.quick ? 300 : Number(opts.sessions);
const MESSAGES = opts.quick ? 5000 : Number(opts.messages);
const STARTS = opts.quick ? 5 : Number(opts.starts);
const ROUNDS = opts.quick ? 1 : Number(opts.rounds);
const want = (part) => opts.only.split(',').includes(part);

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const MCPD = here('../dist/cli/main.js');
const DEMO = here('../examples/demo/mcp.json');
const node = process.execPath;
/** Every process this bench starts, stopped when it exits however it exits (a failed run must not leave servers). */
const children = new Set();
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
/**
 * Every file this bench writes (data dirs, configs, load-generator scripts) lives under one folder, removed when it
 * exits: a recorded run leaves hundreds of MB of call records behind otherwise.
 */
const SCRATCH = mkdtempSync(join(tmpdir(), 'mcpd-bench-'));
const scratch = (prefix) => mkdtempSync(join(SCRATCH, prefix));
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(SCRATCH, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

const INIT = (id = 0) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
});
const CALL = (id) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'hello' } },
});
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
/** 2026-07-28: no handshake; every request carries its envelope and the routing headers. */
const MODERN_CALL = (id) => ({
  ...CALL(id),
  params: {
    ...CALL(id).params,
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
    },
  },
});
const MODERN_HEADERS = {
  ...HEADERS,
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': 'echo',
};

/** Starts a peer that prints {"url"} (or mcpd, whose log line carries "url") and resolves with it. */
function startHttp(args, env = {}) {
  const child = track(
    spawn(node, args, {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c) => {
      out += c;
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m) resolve({ url: m[1], child });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`peer exited (${code}): ${out}`)));
  });
}

/** The demo config with its module at the `worker` isolation level. */
function workerDemo() {
  const config = JSON.parse(readFileSync(DEMO, 'utf8'));
  for (const m of config.modules) {
    m.isolation = 'worker';
    m.source = here(`../examples/demo/${m.source}`);
  }
  const file = join(scratch('run-'), 'mcp.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/**
 * mcpd on the demo config, with a fresh data dir; call recording (SQLite) on unless `record` is false; bundle code
 * inline, or in worker threads with `worker`.
 */
async function mcpdHttp(record = true, worker = false, token = undefined) {
  const dataDir = scratch('data-');
  const config = worker ? workerDemo() : DEMO;
  const child = track(
    spawn(node, [MCPD, 'serve', '--port', '0', '--config', config, '--data-dir', dataDir], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        ...(token ? { ADMIN_STATIC_TOKEN: token } : { AUTH_PROVIDER: 'none' }),
        MCPD_RECORD_CALLS: String(record),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stderr.setEncoding('utf8').on('data', (c) => {
      out += c;
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.once('exit', (code) => reject(new Error(`mcpd exited (${code}): ${out}`)));
  });
}

async function initialize(url, auth = {}) {
  const res = await fetch(`${url}/default/mcp`, {
    method: 'POST',
    headers: { ...HEADERS, ...auth },
    body: JSON.stringify(INIT()),
  });
  await res.text();
  const sid = res.headers.get('mcp-session-id');
  if (sid) {
    await fetch(`${url}/default/mcp`, {
      method: 'POST',
      headers: { ...HEADERS, ...auth, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    }).then((r) => r.text());
  }
  return sid;
}

/**
 * Drives one target for `duration` seconds with 32 connections. autocannon (from npm) by default; `--tool wrk`
 * uses wrk (Debian package `wrk`), a C load generator that takes far less of this 2-core machine's CPU, as a
 * second opinion on the same ratios. Both report { requests.average, latency.p50/p99, non2xx, errors, timeouts }.
 */
function cannon(url, headers, duration, body = JSON.stringify(CALL(1))) {
  if (opts.tool === 'wrk') return wrk(url, headers, duration, body);
  return autocannonRun(url, headers, duration, body);
}

/**
 * autocannon in a process of its own for each run: a load generator that has already driven earlier targets (its
 * heap, its JIT state) is slower, and a slower client changes how the server batches its work, so a run in this
 * process would be charged for the runs before it.
 */
function autocannonRun(url, headers, duration, body) {
  const dir = scratch('run-');
  const input = join(dir, 'body.json');
  writeFileSync(input, body);
  const args = [AUTOCANNON, '-j', '-c', '32', '-d', String(duration), '-m', 'POST', '-i', input];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = track(spawn(node, args, { stdio: ['ignore', 'pipe', 'ignore'] }));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`autocannon exited (${code}) without a result: ${out.slice(0, 500)}`));
      }
    });
  });
}

function wrk(url, headers, duration, body, custom) {
  const script = custom ?? join(scratch('run-'), 'post.lua');
  if (!custom) {
    const lines = [`wrk.method = "POST"`, `wrk.body = ${JSON.stringify(body)}`];
    for (const [k, v] of Object.entries(headers))
      lines.push(`wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
    writeFileSync(script, `${lines.join('\n')}\n`);
  }
  const out = execFileSync('wrk', ['-t1', '-c32', `-d${duration}s`, '--latency', '-s', script, url], {
    encoding: 'utf8',
  });
  const ms = (label) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return Number.NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: { average: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN) },
    latency: { p50: ms('50'), p99: ms('99') },
    non2xx,
    errors: errors ? Number(errors[1]) + Number(errors[2]) + Number(errors[3]) : 0,
    timeouts: errors ? Number(errors[4]) : 0,
  };
}

/** Starts a peer, opens its session and checks that echo answers; returns what autocannon needs. */
/** A target: how to start its server, and how to drive it (`open` starts a fresh server and checks it answers). */
function httpTarget(name, start, mode, token = undefined) {
  return { name, open: () => openTarget(name, start, mode, token), runs: [] };
}

async function openTarget(name, start, mode, token) {
  const { url, child } = await start();
  const auth = token ? { authorization: `Bearer ${token}` } : {};
  let headers = HEADERS;
  let body = JSON.stringify(CALL(1));
  if (mode === 'session') {
    const sid = await initialize(url, auth);
    headers = { ...HEADERS, ...auth, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
  } else if (mode === 'modern') {
    headers = MODERN_HEADERS;
    body = JSON.stringify(MODERN_CALL(1));
  }
  const probe = await fetch(`${url}/default/mcp`, { method: 'POST', headers, body });
  const text = await probe.text();
  if (!text.includes('hello')) throw new Error(`${name}: echo probe failed: ${probe.status} ${text}`);
  return { url: `${url}/default/mcp`, headers, body, child };
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill();
  });
}

function hasWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return err.status !== undefined; // wrk --version exits 1 but exists
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU time (ms) a process and all its threads have used. */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return 0;
  }
}

/** Waits (up to 10 s) until the machine is idle: no other process may use the CPU the next run measures. */
async function settle() {
  const busy = () => {
    const [user, nice, system] = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1, 4);
    return Number(user) + Number(nice) + Number(system);
  };
  for (let i = 0; i < 40; i += 1) {
    const before = busy();
    await new Promise((r) => setTimeout(r, 250));
    if (busy() - before <= 5) return; // at most 5 clock ticks (50 ms of a core) in 250 ms, the bench itself included
  }
}

/**
 * Interleaves rounds over all targets (noise hits them alike) and reports medians, with the server's CPU time per
 * request (all its threads), a figure much steadier than req/s on a small shared machine. Every run gets a server of
 * its own, started, warmed up, measured and stopped, with nothing else running: with seven servers alive at once,
 * mcpd's 2026 target measured 25% more CPU per request than alone, although the others were idle.
 */
async function httpCompare(targets) {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const t of targets) {
      const peer = await t.open();
      try {
        await cannon(peer.url, peer.headers, Math.min(3, DURATION), peer.body); // warm-up
        await settle();
        const cpu0 = cpuMs(peer.child.pid);
        const run = await cannon(peer.url, peer.headers, DURATION, peer.body);
        run.cpuUsPerReq = ((cpuMs(peer.child.pid) - cpu0) * 1000) / (run.requests.average * DURATION);
        t.runs.push(run);
        if (process.env.BENCH_VERBOSE)
          console.log(
            `  round ${round + 1} ${t.name}: ${Math.round(run.requests.average)} req/s, ${run.cpuUsPerReq.toFixed(1)} µs/req`,
          );
      } finally {
        await stop(peer.child);
      }
    }
  }
  return targets.map((t) => ({
    name: t.name,
    rps: median(t.runs.map((r) => r.requests.average)),
    p50: median(t.runs.map((r) => r.latency.p50)),
    p99: median(t.runs.map((r) => r.latency.p99)),
    cpuUs: median(t.runs.map((r) => r.cpuUsPerReq)),
    bad: t.runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
  }));
}

/** Sends MESSAGES pipelined tools/call lines to a stdio server and times all answers. */
async function stdioRun(name, args, needsInit) {
  const child = track(
    spawn(node, args, {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    }),
  );
  const lines = lineReader(child.stdout);
  try {
    if (needsInit) {
      child.stdin.write(`${JSON.stringify(INIT())}\n`);
      await lines.next();
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    }
    const run = async (count) => {
      let payload = '';
      for (let i = 1; i <= count; i += 1) payload += `${JSON.stringify(CALL(i))}\n`;
      const t0 = process.hrtime.bigint();
      child.stdin.write(payload);
      for (let i = 0; i < count; i += 1) {
        const line = await lines.next();
        if (!line.includes('hello')) throw new Error(`${name}: unexpected answer ${line}`);
      }
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    await run(Math.min(2000, MESSAGES));
    const secs = await run(MESSAGES);
    return { name, mps: MESSAGES / secs };
  } finally {
    child.kill();
  }
}

function lineReader(stream) {
  let buffer = '';
  const queue = [];
  const waiters = [];
  stream.setEncoding('utf8').on('data', (c) => {
    buffer += c;
    let nl = buffer.indexOf('\n');
    while (nl !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(line);
      else queue.push(line);
      nl = buffer.indexOf('\n');
    }
  });
  return {
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r))),
  };
}

/** Median time from spawn to the first initialize answer on stdout. */
async function coldStart(name, args) {
  const times = [];
  for (let i = 0; i < STARTS; i += 1) {
    const t0 = process.hrtime.bigint();
    const child = track(
      spawn(node, args, {
        stdio: ['pipe', 'pipe', 'ignore'],
        env: { ...process.env, LOG_LEVEL: 'warn' },
      }),
    );
    child.stdin.write(`${JSON.stringify(INIT())}\n`);
    const line = await lineReader(child.stdout).next();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!line.includes('"id":0')) throw new Error(`${name}: bad initialize answer ${line}`);
    child.kill();
    await new Promise((r) => child.once('exit', r));
  }
  times.sort((a, b) => a - b);
  return { name, ms: times[Math.floor(times.length / 2)] };
}

const rssKb = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);

/** Opens SESSIONS idle sessions and reports the RSS growth per session. */
async function sessionRss(name, start) {
  const { url, child } = await start();
  try {
    // Warm up first, so the heap's young generation has grown to its working size: that growth is a fixed cost
    // of serving traffic at all and would otherwise be counted against the sessions.
    const sid = await initialize(url);
    for (let i = 0; i < 50; i += 1) await initialize(url);
    const headers = { ...HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    for (let i = 0; i < 4000; i += 8) {
      await Promise.all(
        Array.from({ length: 8 }, () =>
          fetch(`${url}/default/mcp`, { method: 'POST', headers, body: JSON.stringify(CALL(i)) }).then((r) =>
            r.text(),
          ),
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 500));
    const before = rssKb(child.pid);
    for (let i = 0; i < SESSIONS; i += 8) {
      await Promise.all(Array.from({ length: Math.min(8, SESSIONS - i) }, () => initialize(url)));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const after = rssKb(child.pid);
    return { name, kbPerSession: (after - before) / SESSIONS };
  } finally {
    child.kill();
  }
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const results = {};

console.log(
  `mcpd bench: node ${process.version}, duration ${DURATION}s, ${SESSIONS} sessions, ${MESSAGES} stdio messages\n`,
);

if (want('http')) {
  // A random admin token, made for this run: the daemon refuses to start with a weak one.
  const token = randomBytes(24).toString('base64url');
  const [bare, mcpd, authed, recorded, worker, sdk, modern, sdk2] = await httpCompare([
    httpTarget('bare fastify', () => startHttp([here('peers/fastify-bare.mjs')]), 'plain'),
    httpTarget('mcpd', () => mcpdHttp(false), 'session'),
    httpTarget('mcpd + auth', () => mcpdHttp(false, false, token), 'session', token),
    httpTarget('mcpd recorded', () => mcpdHttp(true), 'session'),
    httpTarget('mcpd worker+rec', () => mcpdHttp(true, true), 'session'),
    httpTarget('official SDK', () => startHttp([here('peers/sdk-server.mjs')]), 'session'),
    httpTarget('mcpd 2026', () => mcpdHttp(false), 'modern'),
    httpTarget('SDK v2 2026', () => startHttp([here('peers/sdk2-server.mjs')]), 'modern'),
  ]);
  results.http = { bare, mcpd, authed, recorded, worker, sdk, modern, sdk2 };
  console.log(
    `HTTP tools/call echo, 32 connections, ${opts.tool ?? 'autocannon'} (median of ${ROUNDS} interleaved rounds)`,
  );
  console.log(
    '  (mcpd, official SDK: one 2025-11-25 session; mcpd 2026: stateless 2026-07-28 with full _meta and headers;\n' +
      '   mcpd, mcpd + auth and mcpd 2026: inline code, call recording off; mcpd + auth: ADMIN_STATIC_TOKEN checked\n' +
      '   on every request; mcpd recorded: every call recorded in SQLite;\n' +
      '   mcpd worker+rec: code in worker threads and every call recorded)',
  );
  for (const r of [bare, mcpd, authed, recorded, worker, sdk, modern, sdk2]) {
    console.log(
      `  ${r.name.padEnd(14)} ${fmt(r.rps).padStart(8)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  server CPU ${fmt(r.cpuUs, 1).padStart(6)} µs/req  errors ${r.bad}`,
    );
  }
  console.log(
    `  mcpd/bare: ${fmt((mcpd.rps / bare.rps) * 100, 1)}% req/s (target >= 70%), p99 ${fmt(mcpd.p99 / Math.max(bare.p99, 1), 2)}x (target <= 2x); mcpd/SDK: ${fmt(mcpd.rps / sdk.rps, 1)}x`,
  );
  console.log(
    `  mcpd + auth/bare: ${fmt((authed.rps / bare.rps) * 100, 1)}% req/s (admin token on every request; cost of auth: ${fmt((1 - authed.rps / mcpd.rps) * 100, 1)}% of mcpd's req/s)`,
  );
  console.log(
    `  mcpd 2026/bare: ${fmt((modern.rps / bare.rps) * 100, 1)}% req/s (target >= 70%); mcpd 2026/SDK v2: ${fmt(modern.rps / sdk2.rps, 1)}x`,
  );
  console.log(
    `  mcpd recorded/bare: ${fmt((recorded.rps / bare.rps) * 100, 1)}% req/s; cost of recording: ${fmt((1 - recorded.rps / mcpd.rps) * 100, 1)}% of mcpd's req/s`,
  );
  console.log(
    `  mcpd worker+rec/bare: ${fmt((worker.rps / bare.rps) * 100, 1)}% req/s (target >= 55%); cost of the worker level: ${fmt((1 - worker.rps / recorded.rps) * 100, 1)}% of recorded inline req/s\n`,
  );
}

if (want('stdio')) {
  const sBare = await stdioRun('bare node', [here('peers/bare-stdio.mjs')], false);
  const sMcpd = await stdioRun('mcpd', [MCPD, 'stdio', '--config', DEMO], true);
  const sSdk = await stdioRun('official SDK', [here('peers/sdk-server.mjs'), 'stdio'], true);
  results.stdio = { bare: sBare, mcpd: sMcpd, sdk: sSdk };
  console.log('stdio tools/call echo, pipelined');
  for (const r of [sBare, sMcpd, sSdk]) console.log(`  ${r.name.padEnd(14)} ${fmt(r.mps).padStart(8)} msg/s`);
  console.log(
    `  mcpd/bare: ${fmt((sMcpd.mps / sBare.mps) * 100, 1)}% (target >= 50%); mcpd/SDK: ${fmt(sMcpd.mps / sSdk.mps, 1)}x\n`,
  );
}

if (want('cold')) {
  const cBare = await coldStart('bare node', [here('peers/bare-stdio.mjs')]);
  const cMcpd = await coldStart('mcpd', [MCPD, 'stdio', '--config', DEMO]);
  const cSdk = await coldStart('official SDK', [here('peers/sdk-server.mjs'), 'stdio']);
  results.coldStart = { bare: cBare, mcpd: cMcpd, sdk: cSdk };
  console.log(`cold start to first initialize answer (median of ${STARTS})`);
  for (const r of [cBare, cMcpd, cSdk]) console.log(`  ${r.name.padEnd(14)} ${fmt(r.ms, 1).padStart(8)} ms`);
  console.log(
    `  mcpd/bare: ${fmt(cMcpd.ms / cBare.ms, 2)}x (target <= 1.5x); SDK/mcpd: ${fmt(cSdk.ms / cMcpd.ms, 1)}x\n`,
  );
}

if (want('rss')) {
  const rMcpd = await sessionRss('mcpd', mcpdHttp);
  const rSdk = await sessionRss('official SDK', () => startHttp([here('peers/sdk-server.mjs')]));
  results.rss = { mcpd: rMcpd, sdk: rSdk };
  console.log(`RSS per idle Streamable HTTP session (${SESSIONS} sessions)`);
  for (const r of [rMcpd, rSdk])
    console.log(`  ${r.name.padEnd(14)} ${fmt(r.kbPerSession, 2).padStart(8)} KB`);
  console.log(`  target <= 10 KB\n`);
}

/** mcpd on a seeded data dir (no config file: every endpoint comes from the store). */
async function mcpdStore(endpoints, tools, isolation, record) {
  const dataDir = scratch('data-');
  const names = await seedRegistry(dataDir, endpoints, tools);
  const child = track(
    spawn(node, [MCPD, 'serve', '--port', '0', '--data-dir', dataDir], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        AUTH_PROVIDER: 'none',
        MCP_CONFIG_FILE: '',
        MCPD_ISOLATION: isolation,
        MCPD_RECORD_CALLS: String(record),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stderr.setEncoding('utf8').on('data', (c) => {
      out += c;
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`mcpd exited (${code}): ${out}`)));
  });
  return { url, child, endpoints, names };
}

/** Drives 2026 tools/call over every (endpoint, tool) pair in turn, so each request hits another catalog entry. */
function spread(target, duration) {
  // The same number of distinct requests for every target, so the load generator does the same work for each.
  const paths = [];
  for (let k = 0; k < 1000; k++) {
    const e = k % target.endpoints;
    const name = target.names[Math.floor(k / target.endpoints) % target.names.length];
    const body = JSON.stringify({ ...MODERN_CALL(1), params: { ...MODERN_CALL(1).params, name } });
    paths.push({ path: `/ep${e}/mcp`, body, headers: { ...MODERN_HEADERS, 'mcp-name': name } });
  }
  if (opts.tool === 'wrk') return wrkSpread(target.url, paths, duration);
  let i = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: target.url,
        method: 'POST',
        connections: 32,
        duration,
        requests: [{ setupRequest: (req) => ({ ...req, ...paths[(i = (i + 7919) % paths.length)] }) }],
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
  });
}

/** wrk with a Lua table of pre-formatted requests, taken in turn: the load generator's cost per request is flat. */
function wrkSpread(url, paths, duration) {
  const lua = (v) => JSON.stringify(v);
  // Built in init(): wrk.format fills in the Host header only once wrk knows the target.
  const lines = ['local reqs = {}', 'init = function(args)'];
  paths.forEach((p, k) => {
    const headers = Object.entries(p.headers)
      .map(([h, v]) => `[${lua(h)}] = ${lua(v)}`)
      .join(', ');
    lines.push(`  reqs[${k + 1}] = wrk.format("POST", ${lua(p.path)}, { ${headers} }, ${lua(p.body)})`);
  });
  lines.push('end', 'local i = 0', 'request = function() i = i % #reqs + 1 return reqs[i] end');
  const script = join(scratch('run-'), 'spread.lua');
  writeFileSync(script, `${lines.join('\n')}\n`);
  return wrk(url, {}, duration, undefined, script);
}

if (want('registry')) {
  // autocannon's per-request setupRequest costs the load generator more CPU than the server spends on a call, on
  // this 2-core machine, and skews the comparison; wrk (Debian package) replays a prepared table at a flat cost.
  if (opts.tool === undefined) opts.tool = hasWrk() ? 'wrk' : 'autocannon';
  // What the registry target measures is the registry (lookup from memory, however many endpoints and tools), so
  // the first pair runs the code inline without call recording. The second pair runs the defaults for store bundles
  // (worker threads, every call recorded), which cost more with 100 endpoints: every endpoint has threads of its
  // own (100 pools on this machine's 2 cores), and each batch of records touches 100 partitions in every index.
  const pairs = [];
  for (const [isolation, record, label] of [
    ['inline', false, 'inline'],
    ['worker', true, 'worker+rec'],
  ]) {
    const one = await mcpdStore(1, 10, isolation, record);
    const many = await mcpdStore(100, 10, isolation, record);
    const targets = [
      { name: `1 endpoint x 10 tools, ${label}`, t: one, runs: [] },
      { name: `100 endpoints x 10 tools, ${label}`, t: many, runs: [] },
    ];
    for (const x of targets) await spread(x.t, Math.min(3, DURATION)); // warm-up: loads every endpoint once
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const x of targets) x.runs.push(await spread(x.t, DURATION));
    }
    pairs.push(
      targets.map((x) => {
        x.t.child.kill();
        return {
          name: x.name,
          rps: median(x.runs.map((r) => r.requests.average)),
          p99: median(x.runs.map((r) => r.latency.p99)),
          bad: x.runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
        };
      }),
    );
  }
  results.registry = pairs.flat();
  console.log(
    `2026 tools/call across a store-backed registry, 32 connections, ${opts.tool} (median of ${ROUNDS} rounds)`,
  );
  for (const r of pairs.flat()) {
    console.log(`  ${r.name.padEnd(34)} ${fmt(r.rps).padStart(8)} req/s  p99 ${r.p99} ms  errors ${r.bad}`);
  }
  const [inline, worker] = pairs;
  console.log(
    `  100 endpoints / 1 endpoint, inline: ${fmt((inline[1].rps / inline[0].rps) * 100, 1)}% (target >= 95%); ` +
      `worker+rec: ${fmt((worker[1].rps / worker[0].rps) * 100, 1)}%\n`,
  );
}

if (process.env.BENCH_JSON) console.log(JSON.stringify(results));
