import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { SandboxBackend, SandboxLimits } from './backend.js';
import { Interpreter, type CodeResult } from './session.js';

export interface InputFile {
  name: string;
  /** Its content, or how to fetch it: read only if the session does not have the file yet. */
  bytes: Buffer | (() => Promise<Buffer>);
}

interface Session {
  interpreter: Interpreter;
  inputsDir: string;
  idle?: NodeJS.Timeout;
  /** Calls of one session run one after another. */
  queue: Promise<unknown>;
}

/**
 * The code sessions of this worker, one per key (a thread), as OpenAI keeps one per thread:
 * variables and files live on between calls until the session has been idle for `idleSeconds`.
 * Each session's input files are kept under `dir`; a directory left there by an earlier worker
 * process is a session that was lost with it, which the next call of its thread is told about.
 */
export class CodeSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #lost = new Set<string>();
  readonly #ready: Promise<void>;

  constructor(
    private readonly backend: SandboxBackend,
    private readonly limits: SandboxLimits,
    private readonly idleSeconds: number,
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    this.#ready = this.#sweep();
  }

  async #sweep(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const key of await readdir(this.dir)) {
      this.#lost.add(key);
      await rm(path.join(this.dir, key), { recursive: true, force: true });
    }
  }

  /** Runs code in `key`'s session (started if there is none), with `inputs` under /mnt/data. */
  async run(key: string, code: string, inputs: InputFile[], signal?: AbortSignal): Promise<CodeResult> {
    await this.#ready;
    let opened: { session: Session; notice?: string };
    try {
      opened = await this.#session(key);
    } catch (err) {
      // No sandbox here: the call answers with what is missing, for the model and the logs.
      return { logs: (err as Error).message, error: true, images: [], files: [] };
    }
    const { session, notice } = opened;
    clearTimeout(session.idle);
    const result = session.queue.then(async () => {
      await this.#provide(session, inputs);
      return session.interpreter.run(code, this.limits, signal);
    });
    session.queue = result.catch(() => undefined);
    try {
      const r = await result;
      return notice ? { ...r, logs: `${notice}\n${r.logs}` } : r;
    } finally {
      if (!session.interpreter.alive) this.#drop(key);
      else session.idle = setTimeout(() => this.#expire(key), this.idleSeconds * 1000).unref();
    }
  }

  async #session(key: string): Promise<{ session: Session; notice?: string }> {
    const live = this.#sessions.get(key);
    if (live?.interpreter.alive) return { session: live };
    let notice: string | undefined;
    if (this.#lost.delete(key)) {
      notice = '[A new code session was started: the earlier one was lost when its worker restarted, with its variables and files.]';
      this.log.warn({ session: key }, 'code session lost with a restarted worker; starting a fresh one');
    }
    const inputsDir = path.join(this.dir, key);
    await rm(inputsDir, { recursive: true, force: true });
    await mkdir(inputsDir, { recursive: true, mode: 0o755 });
    const started = Date.now();
    const interpreter = await Interpreter.start(this.backend, { id: key, inputsDir }, this.limits);
    const session: Session = { interpreter, inputsDir, queue: Promise.resolve() };
    this.#sessions.set(key, session);
    this.log.info({ session: key, backend: this.backend.name, ms: Date.now() - started }, 'code session started');
    return { session, notice };
  }

  /** Inputs are written once, read-only, and appear in /mnt/data at the next call (runner.py). */
  async #provide(session: Session, inputs: InputFile[]): Promise<void> {
    const have = new Set(await readdir(session.inputsDir));
    for (const f of inputs) {
      if (have.has(path.basename(f.name))) continue;
      const file = path.join(session.inputsDir, path.basename(f.name));
      await writeFile(file, typeof f.bytes === 'function' ? await f.bytes() : f.bytes);
      await chmod(file, 0o444);
    }
  }

  #expire(key: string): void {
    this.log.info({ session: key, idle_seconds: this.idleSeconds }, 'code session idle: torn down');
    this.#drop(key);
  }

  #drop(key: string): void {
    const session = this.#sessions.get(key);
    if (!session) return;
    this.#sessions.delete(key);
    clearTimeout(session.idle);
    session.interpreter.close();
    void rm(session.inputsDir, { recursive: true, force: true });
  }

  /** Ends every interpreter (the worker is stopping); their directories tell the next worker they were lost. */
  close(): void {
    for (const session of this.#sessions.values()) {
      clearTimeout(session.idle);
      session.interpreter.close();
    }
    this.#sessions.clear();
  }
}
