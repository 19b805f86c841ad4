import { pino, type Logger } from 'pino';

/**
 * One structured logger for the process; children carry request and run ids. Each entry point
 * sets its level from LOG_LEVEL once the settings are read (src/config.ts).
 */
export const log: Logger = pino({ base: { service: 'assistants' } });

export type { Logger };
