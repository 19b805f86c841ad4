import type { Logger } from './log.js';

/** One dependency's check: resolves when it answers. */
export type Probe = () => Promise<unknown>;

export interface ServiceHealth {
  ok: boolean;
  /** Why it failed; only with HEALTH_DETAILS, since it names hosts, ports and internals. */
  error?: string;
}

export interface Readiness {
  ok: boolean;
  services: Record<string, ServiceHealth>;
}

export interface Probes {
  /** Without any of these the API cannot serve: one failing makes it not ready. */
  required: Record<string, Probe>;
  /**
   * Reported, but not counted against readiness: taking the API out of rotation because the
   * model server is down would stop reads and cancels too, and bring the model back no sooner.
   */
  advisory: Record<string, Probe>;
}

export interface ReadinessOptions {
  timeoutMs: number;
  details: boolean;
  log: Logger;
}

/**
 * Runs every probe at once, each bounded by `timeoutMs`: a dependency that hangs (Temporal
 * down, a half-open socket) counts as down instead of holding the answer. What failed and why
 * goes to the log; the answer says why only when asked to (HEALTH_DETAILS).
 */
export async function checkReadiness(probes: Probes, opts: ReadinessOptions): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries({ ...probes.required, ...probes.advisory }).map(async ([name, probe]): Promise<[string, ServiceHealth]> => {
      try {
        await withTimeout(probe(), opts.timeoutMs, `${name} did not answer within ${opts.timeoutMs} ms`);
        return [name, { ok: true }];
      } catch (err) {
        opts.log.warn({ service: name, err }, 'readiness check failed');
        return [name, opts.details ? { ok: false, error: (err as Error).message } : { ok: false }];
      }
    }),
  );
  const services = Object.fromEntries(entries);
  return { ok: entries.every(([name, s]) => s.ok || !(name in probes.required)), services };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  // A probe that fails after losing the race must not surface as an unhandled rejection.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
