import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Server } from 'node:http';
import type { Config } from './config.js';
import { createDb } from './db/client.js';
import { createEmbedder } from './embeddings.js';
import { pruneKeys } from './db/idempotency.js';
import type { Endpoints } from './endpoints.js';
import { RunEventSubscriber } from './events/subscriber.js';
import { createApp } from './http/app.js';
import { checkReadiness } from './health.js';
import { probeModelServer } from './llm/probe.js';
import type { HealthCheck } from './http/health/routes.js';
import type { Logger } from './log.js';
import { preparePgvector } from './retrieval/pgvector.js';
import type { AppDeps } from './services/deps.js';
import { Owners } from './services/ownership.js';
import { ensureBucket, objectStore } from './storage.js';
import { ensureSearchAttributes } from './temporal.js';
import { Authenticator, prepareAdminKey } from './tenancy/authenticator.js';
import { installTracing } from './tracing.js';
import { installRuntime, startWorker } from './worker.js';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the HTTP API until closed. Connects to Postgres, Temporal and S3 but starts none.
 * With API_WORKER (the default) it also runs a worker on the same Temporal connection as its
 * client: Temporal then hands a new run's first workflow task, and so its model call, straight
 * to this process in the start response (eager workflow start), skipping a trip through
 * task-queue matching before the first token. Other workers share the rest of the work.
 */
export async function startApi(config: Config, endpoints: Endpoints, log: Logger): Promise<RunningApi> {
  const db = createDb(endpoints.databaseUrl);
  installRuntime(log, config.metrics.temporalAddress);
  const tracing = await installTracing(config.tracing, 'api', log);
  const connection = await NativeConnection.connect({ address: endpoints.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporal.namespace, interceptors: tracing.clientInterceptors });
  const storage = objectStore(config.s3, endpoints.s3Endpoint);
  const s3 = storage.client;
  // An external S3 (MinIO in docker-compose) may not have the bucket yet.
  await ensureBucket(s3, config.s3.bucket);
  await ensureSearchAttributes(connection, config.temporal.namespace, log);
  const worker = config.worker.inApi ? await startWorker(config, endpoints, log, connection) : undefined;
  const events = new RunEventSubscriber(endpoints.databaseUrl, log);
  const embedder = createEmbedder(config.embeddings, endpoints.embeddingsUrl);
  await preparePgvector(db, embedder, log);
  const authenticator = new Authenticator(db, config.apiKeys, await prepareAdminKey(db, config.adminApiKey, log));
  const deps: AppDeps = { db, temporal, config, log, events, storage, embedder, authenticator, owners: new Owners(db) };

  await events.start();
  const health: HealthCheck = () =>
    checkReadiness(
      {
        required: {
          postgres: () => db.$queryRaw`SELECT 1`,
          temporal: () => connection.withDeadline(Date.now() + config.health.timeoutMs, () => connection.healthService.check({})),
          s3: async () => {
            if (!(await s3.bucketExists(config.s3.bucket))) throw new Error(`bucket ${config.s3.bucket} is missing`);
          },
          listener: async () => {
            if (events.state !== 'up') throw new Error(`event listener is ${events.state}`);
          },
        },
        advisory: { model: () => probeModelServer(config.llm, config.health.timeoutMs) },
      },
      { ...config.health, log },
    );

  // Idempotency keys are honoured 24 h; older ones are removed hourly.
  const prune = setInterval(() => void pruneKeys(db).catch((err: unknown) => log.warn({ err }, 'could not prune idempotency keys')), 3_600_000);
  prune.unref();

  const app = createApp(deps, health);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s)).on('error', reject);
  });
  // Streams (SSE) can be long; the server must not cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      clearInterval(prune);
      await events.close();
      await worker?.close();
      await connection.close();
      await db.$disconnect();
      await tracing.flush();
    },
  };
}
