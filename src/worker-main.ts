/** `npm run worker`: the Temporal worker alone, against external Postgres, Temporal and S3 (file expiry deletes objects). */
import { loadConfig } from './config.js';
import { log } from './log.js';
import { serveMetrics } from './metrics.js';
import { requireExternal, runUntilSignal } from './process.js';
import { startWorker } from './worker.js';

await runUntilSignal(log, async () => {
  const config = loadConfig();
  log.level = config.logLevel;
  const worker = await startWorker(config, requireExternal(config), log);
  const { workerPort, apiKey } = config.metrics;
  const metrics = workerPort === undefined ? undefined : await serveMetrics(config.host, workerPort, { key: apiKey, keyed: () => config.apiKeys !== null });
  if (metrics) log.info(`worker metrics at http://${config.host}:${workerPort}/metrics`);
  return async () => {
    metrics?.close();
    await worker.close();
  };
});
