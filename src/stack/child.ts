import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { findOnPath } from './binaries.js';
import { StackError } from './errors.js';

export interface ChildOptions {
  /** Human name used in messages: "Temporal", "SeaweedFS". */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Receives the child's output at debug level. */
  log: Logger;
  /** Grace period between SIGTERM and SIGKILL. */
  stopTimeoutMs?: number;
}

export interface SupervisedChild {
  /**
   * Polls `ready` until it returns true. If the child exits first or `timeoutMs` passes, the
   * child is stopped and a StackError carries the most telling line of its output.
   */
  waitUntilReady(ready: () => Promise<boolean>, timeoutMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL after the grace period; resolves once the child is gone. Idempotent. */
  stop(): Promise<void>;
}

const TAIL_LINES = 40;
// Go services log fatal lines as `F1124 …` / `E1124 …` (glog) or `Error: …` (cobra).
const ERROR_LINE = /^(?:[FE]\d{4} |error|fatal|panic)/i;

// Children still running, killed if this process exits without stopping them.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

// On Linux, setpriv makes the kernel kill the child when this process dies without running its
// exit handlers (SIGKILL, OOM), so a crash leaves no orphan holding ports. SIGKILL, because no one
// is left to wait out a graceful stop, and what the children keep (SQLite, LevelDB, append-only
// volumes) survives it.
const setpriv = process.platform === 'linux' ? findOnPath('setpriv') : null;

export function spawnSupervised(opts: ChildOptions): SupervisedChild {
  const { name, log, stopTimeoutMs = 10_000 } = opts;
  if (!exitHookInstalled) {
    process.on('exit', () => live.forEach((c) => c.kill('SIGTERM')));
    exitHookInstalled = true;
  }

  const [command, args] = setpriv
    ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', opts.command, ...opts.args]]
    : [opts.command, opts.args];
  const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);

  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.debug(line);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    });
  }
  const reason = () => {
    const recent = tail.map((l) => l.trim()).filter(Boolean).reverse();
    return recent.find((l) => ERROR_LINE.test(l)) ?? recent[0] ?? 'no output';
  };

  let exitedHow: string | null = null;
  let starting = true;
  let stopRequested = false;
  const exited = new Promise<void>((resolve) => {
    const done = (how: string) => {
      if (exitedHow) return;
      exitedHow = how;
      live.delete(child);
      if (!starting && !stopRequested) log.error(`${name} exited unexpectedly (${how}): ${reason()}`);
      resolve();
    };
    child.once('error', (err) => done(err.message));
    child.once('exit', (code, signal) => done(signal ? `signal ${signal}` : `code ${code}`));
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopRequested = true;
    stopping ??= (async () => {
      if (exitedHow) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  const waitUntilReady = async (ready: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        // A probe may hang on a half-started server: it gets only the time that is left.
        const answered = await Promise.race([
          ready().catch(() => false),
          exited.then(() => false),
          sleep(Math.max(deadline - Date.now(), 0), false, { ref: false }),
        ]);
        if (answered) return;
        if (exitedHow) throw new StackError(`${name} exited during start (${exitedHow}): ${reason()}`);
        if (Date.now() >= deadline) {
          throw new StackError(`${name} did not answer within ${timeoutMs / 1000}s: ${reason()}`);
        }
        await Promise.race([sleep(200), exited]);
      }
    } catch (err) {
      await stop();
      throw err;
    } finally {
      starting = false;
    }
  };

  return { waitUntilReady, stop };
}
