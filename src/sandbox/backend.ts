import type { Readable, Writable } from 'node:stream';

/** The limits every session runs under (src/config.ts `code`). */
export interface SandboxLimits {
  timeoutSeconds: number;
  /** CPU seconds one call may use (below the wall time, so a busy loop gets the CPU limit's message). */
  cpuSeconds: number;
  memoryMb: number;
  processes: number;
  fileMb: number;
  diskMb: number;
  outputChars: number;
}

/** One session's interpreter (src/sandbox/runner.py): requests in, replies out, one JSON per line. */
export interface SandboxProcess {
  requests: Writable;
  replies: Readable;
  /** Ends the interpreter and everything it started. */
  kill(): void;
  /** Settles when the interpreter has gone, with why. */
  exited: Promise<string>;
}

/**
 * Where sessions' interpreters run: bubblewrap on this machine (the embedded default), or the
 * docker-compose `sandbox` service. A session's input files are in its `inputsDir` on the worker's side.
 */
export interface SandboxBackend {
  readonly name: string;
  /** Checks the backend can run at all; throws a message naming what to install or set. */
  check(): Promise<void>;
  spawn(session: { id: string; inputsDir: string }, limits: SandboxLimits): Promise<SandboxProcess>;
}

/** The runner's own limits, as its argv[1] (src/sandbox/runner.py). */
export function runnerLimits(limits: SandboxLimits): string {
  return JSON.stringify({
    memory_bytes: limits.memoryMb * 2 ** 20,
    processes: limits.processes,
    file_bytes: limits.fileMb * 2 ** 20,
    // Many calls' worth for the session; each call gets `cpuSeconds` more of it (runner.py).
    session_cpu_seconds: limits.cpuSeconds * 100,
    cell_cpu_seconds: limits.cpuSeconds,
    output_chars: limits.outputChars,
  });
}
