/**
 * The code interpreter's sandbox itself (src/sandbox), driven directly for speed: sessions,
 * limits, and code that tries to escape. Each attempt must be contained with the exact error
 * or limit message, and the API must stay healthy. (Through the SDK: code-interpreter.test.ts.)
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { log } from '../src/log.js';
import { BubblewrapBackend } from '../src/sandbox/bubblewrap.js';
import { CodeSessions } from '../src/sandbox/sessions.js';

const config = loadConfig({});
const limits = { ...config.code.limits, timeoutSeconds: 8, cpuSeconds: 5, memoryMb: 1024, fileMb: 20, diskMb: 64, outputChars: 5000 };
// Searchable by the sandbox's uid, as src/worker.ts makes its own.
const sessionsDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'code-sessions-'));
  chmodSync(dir, 0o755);
  return dir;
};
const backend = new BubblewrapBackend(config.code.venv);
const sessions = new CodeSessions(backend, limits, 60, sessionsDir(), log);
// One CPU second: a busy loop meets it well before the wall time, even on a loaded machine.
const tight = new CodeSessions(backend, { ...limits, cpuSeconds: 1 }, 60, sessionsDir(), log);
let n = 0;
const key = () => `thread_sandbox${process.pid}x${n++}`;
const run = (code: string, k = key()) => sessions.run(k, code, []);

async function healthy(): Promise<void> {
  const res = await fetch(`${inject('apiUrl')}/health`);
  expect(res.status).toBe(200);
}

afterAll(() => {
  sessions.close();
  tight.close();
});

describe('code sandbox: sessions', () => {
  it('shows a trailing expression, keeps variables between calls, and reports a traceback as output', async () => {
    const k = key();
    expect(await run('x = 6 * 7\nx', k)).toMatchObject({ logs: '42\n', error: false });
    expect(await run('print(x + 1)', k)).toMatchObject({ logs: '43\n', error: false });
    const failed = await run('def f():\n    return 1 / 0\nf()', k);
    expect(failed.error).toBe(true);
    expect(failed.logs).toBe(
      'Traceback (most recent call last):\n  File "<cell 3>", line 3, in <module>\n    f()\n  File "<cell 3>", line 2, in f\n    return 1 / 0\n           ~~^~~\nZeroDivisionError: division by zero\n',
    );
    expect((await run('x', k)).logs).toBe('42\n');
  });

  it('has numpy, pandas and headless matplotlib; figures come back as PNG, written files as files', async () => {
    const k = key();
    await sessions.run(k, 'pass', [{ name: 'in.csv', bytes: Buffer.from('a,b\n1,2\n3,4\n') }]);
    const r = await run('import numpy as np, pandas as pd, matplotlib.pyplot as plt\ndf = pd.read_csv("/mnt/data/in.csv")\nplt.plot(df.a, df.b)\ndf.to_csv("/mnt/data/out.csv")\nprint(int(np.sum(df.b)))', k);
    expect(r).toMatchObject({ logs: '6\n', error: false });
    expect(r.images).toHaveLength(1);
    expect(r.images[0]!.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(r.files.map((f) => [f.name, f.bytes.toString()])).toEqual([['out.csv', ',a,b\n0,1,2\n1,3,4\n']]);
    // Inputs are read-only.
    expect((await run('open("/mnt/data/in.csv", "w")', k)).logs).toContain("OSError: [Errno 30] Read-only file system: '/mnt/data/in.csv'");
  });
});

describe('code sandbox: escapes are contained', () => {
  it("cannot read the host's files", async () => {
    const project = path.resolve(import.meta.dirname, '..');
    for (const file of ['/etc/shadow', path.join(project, '.env'), path.join(project, 'package.json')]) {
      expect((await run(`open(${JSON.stringify(file)}).read()`)).logs).toContain(`FileNotFoundError: [Errno 2] No such file or directory: '${file}'`);
    }
    // pid 1 is the sandbox's own init, started with an empty environment: none of the worker's settings.
    const environ = await run('print(repr(open("/proc/1/environ").read()))\nimport os\nprint(sorted(os.listdir("/proc"))[:3], os.getuid())');
    expect(environ.logs).not.toMatch(/DATABASE_URL|S3_SECRET|TEMPORAL/);
    expect(environ.logs).toContain('65534');
    await healthy();
  });

  it('cannot open a socket to Postgres or to the API', async () => {
    const pg = new URL(inject('databaseUrl'));
    const api = new URL(inject('apiUrl'));
    for (const [host, port] of [[pg.hostname, pg.port], [api.hostname, api.port]]) {
      const r = await run(`import socket\nsocket.create_connection((${JSON.stringify(host)}, ${port}), timeout=2)`);
      expect(r.logs).toContain('PermissionError: [Errno 1] Operation not permitted');
    }
    await healthy();
  });

  it('a fork bomb hits the process limit and the session goes on', async () => {
    const k = key();
    const r = await run('import os\nwhile True:\n    os.fork()', k);
    expect(r.logs).toContain('BlockingIOError: [Errno 11] Resource temporarily unavailable');
    expect((await run('print("after")', k)).logs).toBe('after\n');
    await healthy();
  });

  it('a busy loop gets the CPU limit, as an exception in the cell', async () => {
    const k = key();
    const started = Date.now();
    const r = await tight.run(k, 'while True: pass', []);
    expect(r.logs).toContain('CpuLimitExceeded: CPU time limit exceeded (1 s per call)');
    expect(Date.now() - started).toBeLessThan(limits.timeoutSeconds * 1000);
    expect((await tight.run(k, 'print("after")', [])).logs).toBe('after\n');
  });

  it('code that outlives the wall time is stopped and its session reset', async () => {
    const k = key();
    await run('y = 1', k);
    const r = await run('import time\ntime.sleep(60)', k);
    expect(r.logs).toBe('Execution timed out after 8 seconds; the session was reset, so its variables are gone.');
    expect((await run('y', k)).logs).toContain("NameError: name 'y' is not defined");
  });

  it('allocating 10 GB is a MemoryError', async () => {
    const r = await run('b = bytearray(10 * 2**30)');
    expect(r.logs).toMatch(/\nMemoryError\n$/);
  });

  it('writing 10 GB stops at the file size limit', async () => {
    const r = await run('with open("/tmp/big", "wb") as f:\n    for _ in range(10 * 1024):\n        f.write(b"\\0" * 2**20)');
    expect(r.logs).toContain('OSError: [Errno 27] File too large');
  });

  it('printing 100 MB keeps the output limit', async () => {
    const r = await run('print("x" * 100_000_000)');
    expect(r.logs).toBe(`${'x'.repeat(5000)}\n[output truncated: ${100_000_001 - 5000} more characters over the 5000-character limit]`);
  });

  it('killing its parent does nothing to the session or the worker', async () => {
    const k = key();
    const r = await run('import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint("still here", os.getppid())', k);
    expect(r.logs).toBe('still here 1\n');
    expect((await run('print("after")', k)).logs).toBe('after\n');
    await healthy();
  });

  it("one thread's session cannot see another's files or processes", async () => {
    const a = key();
    const b = key();
    await run('open("/mnt/data/secret.txt", "w").write("a only")', a);
    const r = await run('import os\nprint(os.listdir("/mnt/data"), len([p for p in os.listdir("/proc") if p.isdigit()]))\nopen("/mnt/data/secret.txt")', b);
    expect(r.logs).toMatch(/^\[\] [12]\n/);
    expect(r.logs).toContain("FileNotFoundError: [Errno 2] No such file or directory: '/mnt/data/secret.txt'");
  });
});
