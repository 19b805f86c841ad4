import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createActivities } from '../activities/index.js';
import type { Config } from './config.js';
import { createDb } from './db/client.js';
import type { Endpoints } from './endpoints.js';
import type { Logger } from './log.js';
import { objectStore } from './storage.js';

export interface RunningWorker {
  close(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * The workflow code: a prebuilt bundle when there is one (`WORKFLOW_BUNDLE_PATH`, as production
 * and the tests use, made by `npm run build:workflows`), else bundled now from source.
 */
function workflowSource(bundlePath: string | undefined): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (bundlePath && existsSync(bundlePath)) return { workflowBundle: { codePath: bundlePath } };
  return { workflowsPath: path.join(ROOT, 'workflows/index.ts') };
}

let runtimeInstalled = false;

/**
 * Temporal's own logs go through pino (its chatty INFO as debug), and shutdown on signals is
 * ours to drive: the Runtime would otherwise start draining the worker on SIGTERM by itself.
 * Before any NativeConnection: the first one installs a default Runtime otherwise.
 */
export function installRuntime(log: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const temporalLog = log.child({ component: 'temporal-sdk' });
  const level = (l: LogLevel) => (l === 'ERROR' ? 'error' : l === 'WARN' ? 'warn' : l === 'TRACE' ? 'trace' : 'debug');
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('DEBUG', ({ level: l, message, meta }) => temporalLog[level(l)](meta ?? {}, message)),
  });
}

/**
 * Polls the run task queue until closed; connects to Postgres, Temporal and S3 but starts none.
 * Given a `connection` (the API's, shared with its client for eager workflow start), it uses
 * that one and leaves closing it to its owner.
 */
export async function startWorker(
  config: Config,
  endpoints: Endpoints,
  log: Logger,
  shared?: NativeConnection,
): Promise<RunningWorker> {
  installRuntime(log);
  const db = createDb(endpoints.databaseUrl, config.worker.dbPoolSize);
  const storage = objectStore(config.s3, endpoints.s3Endpoint);
  const connection = shared ?? (await NativeConnection.connect({ address: endpoints.temporalAddress }));
  const source = workflowSource(config.worker.workflowBundlePath);
  if (source.workflowsPath) log.info('bundling workflow code (set WORKFLOW_BUNDLE_PATH to a prebuilt bundle to skip this)…');
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...source,
    activities: createActivities(db, storage, config.llm, log),
    // Runs parked in requires_action are evicted and replayed when their update or timer comes.
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    // Cancellation reaches a model call through its heartbeat: keep that path short.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '500ms',
  });
  const running = worker.run();
  log.info({ taskQueue: config.temporal.taskQueue }, 'worker polling');
  return {
    async close() {
      worker.shutdown();
      await running;
      if (!shared) await connection.close();
      await db.$disconnect();
    },
  };
}
