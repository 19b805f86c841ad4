import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { log } from '../src/log.js';
import { BubblewrapBackend } from '../src/sandbox/bubblewrap.js';
import { CodeSessions } from '../src/sandbox/sessions.js';
import { percentile } from './lib.js';

/**
 * Section f: the code interpreter's sandbox on this machine, driven directly: a session's cold
 * start (bubblewrap, the interpreter and its first `print(1)`), then `print(1)` on a warm one.
 */
export async function codeSandboxLatency(samples: number): Promise<{ cold: number[]; warm: number[] }> {
  const config = loadConfig({});
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-code-'));
  chmodSync(dir, 0o755);
  const sessions = new CodeSessions(new BubblewrapBackend(config.code.venv), config.code.limits, 600, dir, log.child({ component: 'bench' }));
  const timed = async (key: string) => {
    const t0 = performance.now();
    const r = await sessions.run(key, 'print(1)', []);
    if (r.logs !== '1\n') throw new Error(`print(1) answered ${JSON.stringify(r.logs)}`);
    return performance.now() - t0;
  };
  try {
    const cold: number[] = [];
    for (let i = 0; i < Math.min(samples, 20); i++) cold.push(await timed(`cold${i}`));
    await timed('warm'); // its start, not one of the warm figures
    const warm: number[] = [];
    for (let i = 0; i < samples; i++) warm.push(await timed('warm'));
    return { cold, warm };
  } finally {
    sessions.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const p50p99 = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });
