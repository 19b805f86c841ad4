/** `npm run api`: the HTTP API alone, against external Postgres, Temporal and S3. */
import { startApi } from './api.js';
import { loadConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { log } from './log.js';
import { requireExternal, runUntilSignal } from './process.js';

await runUntilSignal(log, async () => {
  const config = loadConfig();
  log.level = config.logLevel;
  const endpoints = requireExternal(config);
  await migrate(endpoints.databaseUrl, log);
  const api = await startApi(config, endpoints, log);
  log.info({ url: api.url }, `API listening on ${api.url}`);
  return () => api.close();
});
