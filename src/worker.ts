import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { createActivities, createIngestActivities } from '../activities/index.js';
import { codeInterpreter } from '../activities/tools/code-interpreter.js';
import { fileSearch } from '../activities/tools/file-search.js';
import { ToolRegistry } from '../activities/tools/registry.js';
import type { Config } from './config.js';
import { createDb } from './db/client.js';
import { createEmbedder } from './embeddings.js';
import type { Endpoints } from './endpoints.js';
import type { Logger } from './log.js';
import { BubblewrapBackend } from './sandbox/bubblewrap.js';
import { ServiceBackend } from './sandbox/service-backend.js';
import { CodeSessions } from './sandbox/sessions.js';
import { objectStore } from './storage.js';
import { installTracing } from './tracing.js';
import { bundleWorkflows, tracedBundlePath } from './workflow-bundle.js';

export interface RunningWorker {
  close(): Promise<void>;
}

/**
 * The workflow code: a prebuilt bundle when there is one (`WORKFLOW_BUNDLE_PATH`, as production
 * and the tests use, made by `npm run build:workflows`; its traced variant beside it when
 * tracing is on), else bundled now from source, once for both of the process's workers.
 */
async function workflowSource(bundlePath: string | undefined, traced: boolean, log: Logger): Promise<Pick<WorkerOptions, 'workflowBundle'>> {
  const prebuilt = bundlePath && (traced ? tracedBundlePath(bundlePath) : bundlePath);
  if (prebuilt && existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  log.info({ traced }, 'bundling workflow code (set WORKFLOW_BUNDLE_PATH to a prebuilt bundle to skip this)…');
  return { workflowBundle: await bundleWorkflows({ traced }) };
}

/**
 * The code interpreter's sessions. Their inputs live under the system's temporary directory,
 * which the sandbox's unprivileged uid can search (DATA_DIR may not be), one directory per
 * DATA_DIR so instances beside each other keep apart. A missing sandbox is logged once here,
 * naming what to install, and each call answers with that message.
 */
function codeSessions(config: Config, log: Logger): CodeSessions {
  const backend = config.code.backend === 'service' ? new ServiceBackend(config.code.socket) : new BubblewrapBackend(config.code.venv);
  backend.check().catch((err: Error) => log.error(err.message));
  const dir = path.join(tmpdir(), `assistants-code-${createHash('sha256').update(config.dataDir).digest('hex').slice(0, 12)}`);
  return new CodeSessions(backend, config.code.limits, config.code.idleSeconds, dir, log);
}

let runtimeInstalled = false;

/**
 * Temporal's own logs go through pino (its chatty INFO as debug), and shutdown on signals is
 * ours to drive: the Runtime would otherwise start draining the worker on SIGTERM by itself.
 * Before any NativeConnection: the first one installs a default Runtime otherwise.
 */
export function installRuntime(log: Logger, metricsAddress?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const temporalLog = log.child({ component: 'temporal-sdk' });
  const level = (l: LogLevel) => (l === 'ERROR' ? 'error' : l === 'WARN' ? 'warn' : l === 'TRACE' ? 'trace' : 'debug');
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('DEBUG', ({ level: l, message, meta }) => temporalLog[level(l)](meta ?? {}, message)),
    // The SDK's own worker metrics (task slots, poll and schedule latencies, sticky cache).
    ...(metricsAddress && { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } }),
  });
}

/**
 * Polls the run task queue, and the ingestion queue with a worker of its own (its slots,
 * INGEST_CONCURRENCY, bound how many files are read and embedded at once, apart from the
 * runs'), until closed; connects to Postgres, Temporal, S3 and the embeddings server but starts
 * none. Given a `connection` (the API's, shared with its client for eager workflow start), it
 * uses that one and leaves closing it to its owner.
 */
export async function startWorker(
  config: Config,
  endpoints: Endpoints,
  log: Logger,
  shared?: NativeConnection,
): Promise<RunningWorker> {
  installRuntime(log, config.metrics.temporalAddress);
  const tracing = await installTracing(config.tracing, 'worker', log);
  const db = createDb(endpoints.databaseUrl, config.worker.dbPoolSize);
  const storage = objectStore(config.s3, endpoints.s3Endpoint);
  const connection = shared ?? (await NativeConnection.connect({ address: endpoints.temporalAddress }));
  const source = await workflowSource(config.worker.workflowBundlePath, config.tracing.exporter !== 'none', log);
  const sessions = codeSessions(config, log);
  const embedder = createEmbedder(config.embeddings, endpoints.embeddingsUrl);
  const tools = new ToolRegistry([codeInterpreter(sessions, config.code.limits.timeoutSeconds, { db, storage }), fileSearch(db, embedder)]);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...source,
    ...tracing.workerOptions,
    activities: createActivities(db, storage, config.llm, log, tools),
    // Runs parked in requires_action are evicted and replayed when their update or timer comes.
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    // Cancellation reaches a model call through its heartbeat: keep that path short.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '500ms',
  });
  const ingestWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.ingestTaskQueue,
    ...source,
    ...tracing.workerOptions,
    activities: createIngestActivities(db, storage, embedder, log),
    maxConcurrentActivityTaskExecutions: config.vectorStores.ingestConcurrency,
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '500ms',
  });
  const running = Promise.all([worker.run(), ingestWorker.run()]);
  log.info({ taskQueue: config.temporal.taskQueue, ingestTaskQueue: config.temporal.ingestTaskQueue }, 'worker polling');
  return {
    async close() {
      worker.shutdown();
      ingestWorker.shutdown();
      await running;
      sessions.close();
      if (!shared) await connection.close();
      await db.$disconnect();
      await tracing.flush();
    },
  };
}
