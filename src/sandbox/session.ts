import { createInterface } from 'node:readline';
import type { SandboxBackend, SandboxLimits, SandboxProcess } from './backend.js';

/** What one call of code produced. `files`: those under /mnt/data it created or changed. */
export interface CodeResult {
  logs: string;
  /** The code raised (its traceback is in `logs`), or was stopped by a limit. */
  error: boolean;
  images: Buffer[];
  files: { name: string; bytes: Buffer }[];
}

interface Reply {
  logs: string;
  error: boolean;
  images: string[];
  files: { name: string; data: string }[];
}

/**
 * One interpreter process of a session and its line protocol (src/sandbox/runner.py). The wall
 * time limit is kept here: past it the interpreter is killed, and the result says so.
 */
export class Interpreter {
  readonly #pending: ((reply: Reply | Error) => void)[] = [];
  #gone?: string;

  private constructor(private readonly proc: SandboxProcess) {
    createInterface({ input: proc.replies, crlfDelay: Infinity }).on('line', (line) => {
      let reply: Reply | Error;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        reply = new Error('the interpreter sent an unreadable reply');
        proc.kill();
      }
      this.#pending.shift()?.(reply);
    });
    void proc.exited.then((why) => {
      this.#gone = why;
      for (const waiting of this.#pending.splice(0)) waiting(new Error(`the interpreter ${why}`));
    });
  }

  static async start(backend: SandboxBackend, session: { id: string; inputsDir: string }, limits: SandboxLimits): Promise<Interpreter> {
    return new Interpreter(await backend.spawn(session, limits));
  }

  get alive(): boolean {
    return this.#gone === undefined;
  }

  /** Runs code; resolves whatever it does (a limit hit is an output, not a rejection). */
  async run(code: string, limits: SandboxLimits, signal?: AbortSignal): Promise<CodeResult> {
    if (!this.alive) throw new Error(`the interpreter ${this.#gone}`);
    const reply = new Promise<Reply | Error>((resolve) => this.#pending.push(resolve));
    this.proc.requests.write(JSON.stringify({ code }) + '\n');
    let stopped: string | undefined;
    const stop = (why: string) => {
      stopped ??= why;
      this.proc.kill();
    };
    const timer = setTimeout(() => stop(`Execution timed out after ${limits.timeoutSeconds} seconds`), limits.timeoutSeconds * 1000);
    const onAbort = () => stop('Execution was cancelled');
    signal?.addEventListener('abort', onAbort);
    try {
      const r = await reply;
      if (r instanceof Error) {
        const why = stopped ?? `The interpreter ended (${r.message.replace(/^the interpreter /, '')})`;
        return { logs: `${why}; the session was reset, so its variables are gone.`, error: true, images: [], files: [] };
      }
      return {
        logs: r.logs,
        error: r.error,
        images: r.images.map((b) => Buffer.from(b, 'base64')),
        files: r.files.map((f) => ({ name: f.name, bytes: Buffer.from(f.data, 'base64') })),
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    this.proc.kill();
  }
}
