/**
 * Our own API and worker as child processes — the same entry points users run — so tests can
 * restart them, kill them with SIGKILL, and start extra ones with other settings.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import path from 'node:path';
import { inject, onTestFinished } from 'vitest';
import { freePort } from '../../src/stack/ports.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const execFileAsync = promisify(execFile);

export interface Service {
  url: string;
  env: NodeJS.ProcessEnv;
  /** The child's process id (a worker's memory can be read from /proc/<pid>/status). */
  pid: number;
  /** SIGTERM and wait; SIGKILL when `hard`. */
  stop(hard?: boolean): Promise<void>;
  output(): string;
}

/** Node's flags for our processes, as the npm scripts (and so the image) pass them. */
const NODE_FLAGS: string[] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).config.nodeFlags.split(' ');

/**
 * Node's arguments for one of our entry points as `npm start` / `npm run api|worker` run it:
 * the compiled program (`npm run build`) with package.json's `config.nodeFlags`.
 */
export function entryPoint(name: 'main' | 'api-main' | 'worker-main'): string[] {
  return [...NODE_FLAGS, path.join(ROOT, 'dist', 'src', `${name}.js`)];
}

/** `npm run build`: compiles what changed since the last build (a no-op when dist/ is current). */
export async function buildProgram(): Promise<void> {
  await execFileAsync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: ROOT });
}

export async function startService(kind: 'api' | 'worker', env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Service> {
  const port = env.PORT ?? String(await freePort());
  // MALLOC_ARENA_MAX as the npm scripts and the image set it.
  const fullEnv = { MALLOC_ARENA_MAX: '2', ...process.env, ...env, PORT: port, HOST: '127.0.0.1', LOG_LEVEL: env.LOG_LEVEL ?? 'info' };
  const child = spawn(process.execPath, entryPoint(`${kind}-main`), {
    cwd: ROOT,
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  await waitReady(kind, child, url, () => out, timeoutMs);
  return {
    url,
    env: fullEnv,
    pid: child.pid!,
    output: () => out,
    stop: (hard = false) => stopChild(child, hard),
  };
}

/**
 * Inside a test: our API or worker with the suite's environment plus `env`, SIGKILLed when the
 * test ends, so a test that kills or restarts processes touches no other test.
 */
export async function startForTest(kind: 'api' | 'worker', env: Record<string, string>): Promise<Service> {
  const service = await startService(kind, { ...inject('serviceEnv'), ...env });
  onTestFinished(() => service.stop(true));
  return service;
}

async function waitReady(kind: 'api' | 'worker', child: ChildProcess, url: string, out: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode}:\n${out()}`);
    if (kind === 'worker' ? out().includes('worker polling') : await healthy(url)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${kind} not ready after ${timeoutMs} ms:\n${out()}`);
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`)).ok;
  } catch {
    return false;
  }
}

function stopChild(child: ChildProcess, hard: boolean): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(hard ? 'SIGKILL' : 'SIGTERM');
  });
}
