/**
 * Restarts lose nothing:
 * - an API process stopped with SIGTERM and started again on the same port serves the same data;
 * - `npm start` (src/main.ts) on the embedded stack: logs its progress, stops cleanly on SIGTERM
 *   (exit 0, no child left running) and finds everything again on the next start;
 * - a port in use makes `npm start` print one line naming the setting and exit 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePorts, isPortFree } from '../src/stack/ports.js';
import { client } from './support/client.js';
import { entryPoint, startService } from './support/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('API restart', () => {
  it('an API stopped with SIGTERM and started again on the same port serves everything unchanged', { timeout: 90_000 }, async () => {
    const env = inject('serviceEnv');
    const first = await startService('api', env);
    const port = new URL(first.url).port;
    let openai = client(first.url);

    const assistant = await openai.beta.assistants.create({
      model: 'gpt-4o',
      name: 'survives restarts',
      instructions: 'Be durable.',
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
      metadata: { phase: 'created' },
    });
    const modifiedAssistant = await openai.beta.assistants.update(assistant.id, { metadata: { phase: 'modified', extra: 'yes' } });
    const thread = await openai.beta.threads.create({
      messages: [
        { role: 'user', content: 'first message' },
        { role: 'assistant', content: 'second message' },
      ],
      metadata: { phase: 'created' },
    });
    const third = await openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'third message', metadata: { n: '3' } });
    const modifiedThread = await openai.beta.threads.update(thread.id, { metadata: { phase: 'modified' } });
    const modifiedMessage = await openai.beta.threads.messages.update(third.id, { thread_id: thread.id, metadata: { n: '3', edited: 'true' } });
    const messagesBefore = await openai.beta.threads.messages.list(thread.id, { order: 'asc' });
    expect(messagesBefore.data).toHaveLength(3);

    await first.stop();
    const out = first.output();
    expect(out).toContain('shutting down');
    expect(out).not.toContain('shutdown failed');
    // No error or fatal log line (pino levels 50 and 60) during the whole life of the process.
    expect(out).not.toMatch(/"level":(50|60)/);
    // It really let go of the port.
    expect(await isPortFree(Number(port))).toBe(true);
    await expect(fetch(`${first.url}/health`)).rejects.toThrow();

    const second = await startService('api', { ...env, PORT: port });
    try {
      expect(second.url).toBe(first.url);
      openai = client(second.url);
      expect(await openai.beta.assistants.retrieve(assistant.id)).toEqual(modifiedAssistant);
      expect(await openai.beta.threads.retrieve(thread.id)).toEqual(modifiedThread);
      expect(await openai.beta.threads.messages.retrieve(third.id, { thread_id: thread.id })).toEqual(modifiedMessage);
      const messagesAfter = await openai.beta.threads.messages.list(thread.id, { order: 'asc' });
      expect(messagesAfter.data).toEqual(messagesBefore.data);
      expect(messagesAfter.data.map((m) => m.id)).toEqual(messagesBefore.data.map((m) => m.id));
      expect((await openai.beta.assistants.list({ limit: 100 })).data.map((a) => a.id)).toContain(assistant.id);
    } finally {
      await second.stop();
    }
  });
});

/** `npm start` as a child: `node dist/src/main.js`, with all of its output kept. */
interface Main {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startMain(env: Record<string, string>): Main {
  const child = spawn(process.execPath, entryPoint('main'), {
    cwd: ROOT,
    env: {
      ...process.env,
      // Empty values count as unset and keep a `.env` from naming external services.
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      S3_ENDPOINT: '',
      API_KEYS: '',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

async function waitForOutput(main: Main, texts: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!texts.every((t) => main.output().includes(t))) {
    if (main.child.exitCode !== null || main.child.signalCode !== null) {
      throw new Error(`main.ts exited (${main.child.exitCode ?? main.child.signalCode}) before logging ${JSON.stringify(texts)}:\n${main.output()}`);
    }
    if (Date.now() > deadline) {
      main.child.kill('SIGKILL');
      throw new Error(`main.ts did not log ${JSON.stringify(texts)} within ${timeoutMs} ms:\n${main.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then the exit; SIGKILL (and a failure) if it takes longer than `timeoutMs`. */
async function stopMain(main: Main, timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const t0 = Date.now();
  main.child.kill('SIGTERM');
  const timer = setTimeout(() => main.child.kill('SIGKILL'), timeoutMs);
  try {
    const result = await main.exited;
    return { ...result, ms: Date.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

/** Command lines of every process that mentions `needle` (the test's data dir). */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) found.push(`${entry}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

/** A fresh data dir that embedded Postgres (run as user `postgres` when we are root) can reach. */
async function tempDataDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

describe('npm start (src/main.ts) on the embedded stack', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('starts, stops cleanly on SIGTERM leaving no process behind, and keeps its data for the next start', { timeout: 150_000 }, async () => {
    const dataDir = await tempDataDir('assistants-main-');
    const [port, postgres, temporal, temporalUi, s3] = (await freePorts(5)) as [number, number, number, number, number];
    const serviceEnv = inject('serviceEnv');
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      POSTGRES_PORT: String(postgres),
      TEMPORAL_PORT: String(temporal),
      TEMPORAL_UI_PORT: String(temporalUi),
      S3_PORT: String(s3),
      WORKFLOW_BUNDLE_PATH: serviceEnv.WORKFLOW_BUNDLE_PATH!,
      MODEL_URL: serviceEnv.MODEL_URL!,
      // Readiness, not speed, is asserted: probes of services started seconds ago on a loaded machine.
      HEALTH_TIMEOUT_MS: '10000',
    };
    let running: Main | undefined;
    cleanup.push(async () => {
      // Only if an assertion failed midway: do not leave a stack running.
      if (running && running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGTERM');
        await Promise.race([running.exited, new Promise((r) => setTimeout(r, 20_000))]);
      }
      await rm(dataDir, { recursive: true, force: true });
    });
    const url = `http://127.0.0.1:${port}`;

    // First start: initialises Postgres, Temporal and SeaweedFS in the data dir.
    running = startMain(env);
    await waitForOutput(running, ['Assistants API ready at', 'Temporal Web UI at'], 90_000);
    const firstOut = running.output();
    expect(firstOut).toContain('waiting for Postgres');
    expect(firstOut).toContain(`Assistants API ready at ${url}`);
    expect(firstOut).toContain(`Temporal Web UI at http://127.0.0.1:${temporalUi}`);

    const health = await fetch(`${url}/health`);
    expect(health.status, await health.clone().text()).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', services: { postgres: { ok: true }, temporal: { ok: true }, s3: { ok: true }, listener: { ok: true }, model: { ok: true } } });

    let openai = client(url);
    const assistant = await openai.beta.assistants.create({ model: 'gpt-4o', name: 'kept in DATA_DIR', metadata: { k: 'v' } });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'remember me' }], metadata: { t: '1' } });
    const messages = await openai.beta.threads.messages.list(thread.id);
    // The worker also runs in this process and holds embedded services: all of it must stop.
    expect(await processesMentioning(dataDir)).not.toEqual([]);

    const firstStop = await stopMain(running);
    expect({ code: firstStop.code, signal: firstStop.signal }, running.output()).toEqual({ code: 0, signal: null });
    expect(firstStop.ms).toBeLessThan(20_000);
    expect(running.output()).toContain('shutting down');
    expect(await processesMentioning(dataDir)).toEqual([]);
    for (const p of [port, postgres, temporal, temporalUi, s3]) expect(await isPortFree(p)).toBe(true);

    // Second start on the same data dir and ports: everything is still there.
    running = startMain(env);
    await waitForOutput(running, ['Assistants API ready at', 'Temporal Web UI at'], 90_000);
    openai = client(url);
    expect(await openai.beta.assistants.retrieve(assistant.id)).toEqual(assistant);
    expect(await openai.beta.threads.retrieve(thread.id)).toEqual(thread);
    expect((await openai.beta.threads.messages.list(thread.id)).data).toEqual(messages.data);
    // The second start applied no migration: the first one had.
    expect(firstOut).toContain('applied migration');
    expect(running.output()).not.toContain('applied migration');

    const secondStop = await stopMain(running);
    expect({ code: secondStop.code, signal: secondStop.signal }, running.output()).toEqual({ code: 0, signal: null });
    expect(secondStop.ms).toBeLessThan(20_000);
    expect(await processesMentioning(dataDir)).toEqual([]);
  });

  it('a port in use: one line naming the setting, no stack trace, exit code 1', { timeout: 60_000 }, async () => {
    const dataDir = await tempDataDir('assistants-main-busy-');
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const [port, busy, temporal, temporalUi, s3] = (await freePorts(5)) as [number, number, number, number, number];
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(busy, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    const serviceEnv = inject('serviceEnv');
    const main = startMain({
      DATA_DIR: dataDir,
      PORT: String(port),
      POSTGRES_PORT: String(busy),
      TEMPORAL_PORT: String(temporal),
      TEMPORAL_UI_PORT: String(temporalUi),
      S3_PORT: String(s3),
      WORKFLOW_BUNDLE_PATH: serviceEnv.WORKFLOW_BUNDLE_PATH!,
      MODEL_URL: serviceEnv.MODEL_URL!,
    });
    const timer = setTimeout(() => main.child.kill('SIGKILL'), 30_000);
    const exit = await main.exited.finally(() => clearTimeout(timer));
    const out = main.output();
    expect(exit, out).toEqual({ code: 1, signal: null });

    const lines = out.split('\n').filter((l) => l.trim() !== '');
    const naming = lines.filter((l) => l.includes('POSTGRES_PORT'));
    expect(naming, out).toHaveLength(1);
    expect(naming[0]).toContain(`Port ${busy} (Postgres) is in use`);
    // No stack trace, neither as raw lines nor inside a JSON log line.
    expect(out).not.toMatch(/^\s+at /m);
    expect(out).not.toMatch(/\\n\s+at /);
    expect(out).not.toContain('"stack"');
    // Nothing was started, so nothing is left running, and the data dir is not left locked.
    expect(await processesMentioning(dataDir)).toEqual([]);
    expect(await readdir(dataDir)).not.toContain('stack.pid');
  });
});
