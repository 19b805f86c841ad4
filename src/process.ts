import type { Config } from './config.js';
import type { Endpoints } from './endpoints.js';
import type { Logger } from './log.js';
import { StartupError } from './startup-error.js';

/**
 * Starts something, then stops it cleanly on SIGINT/SIGTERM. A failure to start prints one
 * line and exits 1.
 */
export async function runUntilSignal(log: Logger, start: () => Promise<() => Promise<void>>): Promise<void> {
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      await stop?.();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    stop = await start();
  } catch (err) {
    if (err instanceof StartupError) log.fatal(err.message);
    else log.fatal({ err }, `failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  if (stopping) await stop();
}

/** `npm run api` / `npm run worker` use external services only: say which setting is missing. */
export function requireExternal(config: Config): Endpoints {
  const missing = [
    !config.postgres.url && 'DATABASE_URL',
    !config.temporal.address && 'TEMPORAL_ADDRESS',
    !config.s3.endpoint && 'S3_ENDPOINT',
    !config.embeddings.url && 'EMBEDDINGS_URL',
  ].filter(Boolean);
  if (missing.length) {
    throw new StartupError(`Set ${missing.join(', ')} (or use \`npm start\`, which starts embedded services)`);
  }
  return { databaseUrl: config.postgres.url!, temporalAddress: config.temporal.address!, s3Endpoint: config.s3.endpoint!, embeddingsUrl: config.embeddings.url! };
}
