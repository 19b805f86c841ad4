/**
 * `npm start`: everything on one machine, no Docker. Postgres, Temporal and S3 are the ones
 * the settings name, or embedded ones keeping their data in DATA_DIR; then migrations, the
 * API and the worker. Ctrl-C / SIGTERM stops it all; the next start finds the same data.
 */
import { startApi } from './api.js';
import { loadConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { log } from './log.js';
import { runUntilSignal } from './process.js';
import { startStack } from './stack/index.js';
import { startWorker } from './worker.js';

await runUntilSignal(log, async () => {
  const config = loadConfig();
  log.level = config.logLevel;
  const stack = await startStack({
    dataDir: config.dataDir,
    databaseUrl: config.postgres.url,
    temporalAddress: config.temporal.address,
    s3Endpoint: config.s3.endpoint,
    embeddingsUrl: config.embeddings.url,
    ports: {
      postgres: config.postgres.embeddedPort,
      temporal: config.temporal.embeddedPort,
      temporalUi: config.temporal.uiPort,
      s3: config.s3.embeddedPort,
      embeddings: config.embeddings.embeddedPort,
    },
    s3: { accessKey: config.s3.accessKey, secretKey: config.s3.secretKey, bucket: config.s3.bucket, region: config.s3.region },
    namespace: config.temporal.namespace,
    binaries: config.binaries,
    log,
  });
  try {
    await migrate(stack.databaseUrl, log);
    // The API runs the worker in this process unless API_WORKER=false.
    const worker = config.worker.inApi ? undefined : await startWorker(config, stack, log);
    const api = await startApi(config, stack, log);
    log.info(`Assistants API ready at ${api.url} (OpenAI SDK: baseURL '${api.url}' or '${api.url}/v1')`);
    if (stack.temporalUiUrl) log.info(`Temporal Web UI at ${stack.temporalUiUrl}`);
    return async () => {
      await api.close();
      await worker?.close();
      await stack.stop();
    };
  } catch (err) {
    await stack.stop();
    throw err;
  }
});
