/**
 * Starts the real stack once per test run: embedded Postgres, the Temporal dev server and
 * SeaweedFS on free ports, migrations, the scripted model server, and our API and worker as
 * child processes. The workflow code is bundled once and shared by every worker.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrate } from '../src/db/migrate.js';
import { log } from '../src/log.js';
import { startStack } from '../src/stack/index.js';
import { freePorts } from '../src/stack/ports.js';
import { startScriptedLlm } from './support/scripted-llm.js';
import { startService, type Service } from './support/services.js';

const S3 = { accessKey: 'test-access', secretKey: 'test-secret', bucket: 'assistants-test' };

export default async function setup(project: TestProject) {
  const quiet = log.child({ service: 'test-stack' });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'assistants-test-'));
  // As root, embedded Postgres runs as user `postgres`, which must reach its data dir in here.
  await chmod(dataDir, 0o755);
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');
  const [postgres, temporal, temporalUi, s3] = (await freePorts(4)) as [number, number, number, number];
  const [stack] = await Promise.all([
    startStack({ dataDir: path.join(dataDir, 'stack'), ports: { postgres, temporal, temporalUi, s3 }, s3: S3, namespace: 'default', log: quiet }),
    bundleWorkflowCode({ workflowsPath: path.resolve(import.meta.dirname, '../workflows/index.ts') }).then(({ code }) => writeFile(bundlePath, code)),
  ]);
  const llm = await startScriptedLlm();
  const stopAll = async (...services: (Service | undefined)[]) => {
    await Promise.all(services.map((s) => s?.stop()));
    await llm.close();
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  };

  const env = {
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    S3_ENDPOINT: stack.s3Endpoint,
    S3_ACCESS_KEY: S3.accessKey,
    S3_SECRET_KEY: S3.secretKey,
    S3_BUCKET_NAME: S3.bucket,
    MODEL_URL: llm.url,
    ANTHROPIC_URL: new URL(llm.url).origin,
    ANTHROPIC_API_KEY: 'test-anthropic-key',
    WORKFLOW_BUNDLE_PATH: bundlePath,
    LLM_TIMEOUT_MS: '5000',
    LLM_MAX_ATTEMPTS: '3',
  };
  let api: Service | undefined;
  let worker: Service | undefined;
  try {
    await migrate(stack.databaseUrl, quiet);
    [api, worker] = await Promise.all([startService('api', env), startService('worker', env)]);
  } catch (err) {
    await stopAll(api, worker);
    throw err;
  }

  project.provide('apiUrl', api.url);
  project.provide('llmUrl', llm.url);
  project.provide('serviceEnv', env);
  project.provide('databaseUrl', stack.databaseUrl);

  return () => stopAll(api, worker);
}

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    llmUrl: string;
    serviceEnv: Record<string, string>;
    databaseUrl: string;
  }
}
