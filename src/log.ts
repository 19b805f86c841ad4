import { pino, type Logger } from 'pino';

/** One structured logger for the process; children carry request and run ids. */
export const log: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: process.env.SERVICE_NAME ?? 'assistants' },
});

export type { Logger };
