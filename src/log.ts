import { pino, type Logger } from 'pino';

/**
 * JSON lines for machines; readable lines for a person at a terminal. LOG_FORMAT: `json`,
 * `pretty`, or `auto` (the default: pretty when stdout is a terminal). Decided here, before the
 * settings are read, because the logger exists from the first import; src/config.ts checks the
 * value like every other setting.
 */
function pretty(): boolean {
  const format = process.env.LOG_FORMAT?.trim() || 'auto';
  return format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
}

/**
 * One structured logger for the process; children carry request and run ids, which the pretty
 * format keeps on the line. Each entry point sets its level from LOG_LEVEL once the settings
 * are read (src/config.ts).
 */
export const log: Logger = pino({
  base: { service: 'assistants' },
  ...(pretty() && {
    transport: {
      target: 'pino-pretty',
      options: { colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    },
  }),
});

export type { Logger };
