/**
 * The sandbox service (CODE_SANDBOX=service, docker-compose's `sandbox`) without Docker: the
 * service's own entry point (`npm run sandbox`, src/sandbox/service-main.ts) runs here as a
 * child process on a Unix socket, and the worker's side (src/sandbox/service-backend.ts) drives
 * it through the same sessions the worker uses (src/sandbox/sessions.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { log } from '../src/log.js';
import { ServiceBackend } from '../src/sandbox/service-backend.js';
import { CodeSessions } from '../src/sandbox/sessions.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const config = loadConfig({});
const limits = { ...config.code.limits, timeoutSeconds: 8, cpuSeconds: 5, memoryMb: 1024, fileMb: 20, diskMb: 64, outputChars: 5000 };
const socketPath = path.join(mkdtempSync(path.join(tmpdir(), 'sandbox-socket-')), 'sandbox.sock');
const sessionsDir = mkdtempSync(path.join(tmpdir(), 'code-sessions-'));
chmodSync(sessionsDir, 0o755);

let service: ChildProcess;
const backend = new ServiceBackend(socketPath);
const sessions = new CodeSessions(backend, limits, 60, sessionsDir, log);
let n = 0;
const key = () => `thread_service${process.pid}x${n++}`;

beforeAll(async () => {
  service = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/sandbox/service-main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, CODE_SANDBOX_SOCKET: socketPath, CODE_SANDBOX_VENV: config.code.venv, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  while (!existsSync(socketPath)) {
    if (Date.now() > deadline || service.exitCode !== null) throw new Error('the sandbox service did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 90_000);

afterAll(async () => {
  sessions.close();
  if (service.exitCode === null) {
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
  }
});

describe('code sandbox: the sandbox service over its socket', () => {
  it('answers check(), and a missing socket says what to start', async () => {
    await backend.check();
    await expect(new ServiceBackend(path.join(sessionsDir, 'none.sock')).check()).rejects.toThrow(/sandbox service does not answer at .*none\.sock .*npm run sandbox/);
  });

  it('keeps variables between calls, reads inputs read-only, returns figures and written files', async () => {
    const k = key();
    expect(await sessions.run(k, 'x = 6 * 7\nx', [{ name: 'in.csv', bytes: Buffer.from('a,b\n1,2\n3,4\n') }])).toMatchObject({ logs: '42\n', error: false });
    const r = await sessions.run(k, 'import pandas as pd, matplotlib.pyplot as plt\ndf = pd.read_csv("/mnt/data/in.csv")\nplt.plot(df.a, df.b)\ndf.to_csv("/mnt/data/out.csv")\nprint(x, int(df.b.sum()))', []);
    expect(r).toMatchObject({ logs: '42 6\n', error: false });
    expect(r.images).toHaveLength(1);
    expect(r.images[0]!.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(r.files.map((f) => [f.name, f.bytes.toString()])).toEqual([['out.csv', ',a,b\n0,1,2\n1,3,4\n']]);
    expect((await sessions.run(k, 'open("/mnt/data/in.csv", "w")', [])).logs).toContain("OSError: [Errno 30] Read-only file system: '/mnt/data/in.csv'");
    // An input added later arrives before the cell that reads it.
    expect((await sessions.run(k, 'print(open("/mnt/data/later.txt").read())', [{ name: 'later.txt', bytes: async () => Buffer.from('late') }])).logs).toBe('late\n');
  });

  it('has no network, and two sessions do not see each other', async () => {
    const pg = new URL(inject('databaseUrl'));
    const a = key();
    await sessions.run(a, 'open("/mnt/data/secret.txt", "w").write("a")', []);
    const b = await sessions.run(key(), `import os, socket\nprint(os.listdir("/mnt/data"))\ntry:\n    socket.create_connection(("${pg.hostname}", ${pg.port}))\nexcept OSError as e:\n    print(e)`, []);
    expect(b.logs).toBe('[]\n[Errno 1] Operation not permitted\n');
  });

  it('a timeout ends the session and the next call starts a fresh one', async () => {
    const k = key();
    const own = mkdtempSync(path.join(tmpdir(), 'code-sessions-'));
    chmodSync(own, 0o755);
    const slow = new CodeSessions(backend, { ...limits, timeoutSeconds: 3 }, 60, own, log);
    try {
      await slow.run(k, 'y = 1', []);
      expect((await slow.run(k, 'import time\ntime.sleep(30)', [])).logs).toBe('Execution timed out after 3 seconds; the session was reset, so its variables are gone.');
      expect((await slow.run(k, 'print("y" in globals())', [])).logs).toBe('False\n');
    } finally {
      slow.close();
    }
  });
});
