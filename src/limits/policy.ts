import type { Project } from '../generated/prisma/client.js';

/**
 * What limits a project: PROJECT_RPM, PROJECT_TPM and PROJECT_MAX_ACTIVE_RUNS for every
 * project, unless the project's row overrides them (the admin API's rate limit, src/services/limits.ts).
 */

/**
 * Our limits are per project, not per model: the admin API shows a project's as one rate limit
 * with this id, for model `*` (src/wire/admin.ts).
 */
export const RATE_LIMIT_ID = 'rl-all';

/** A project row's overrides: null keeps the default, 0 lifts the limit for that project. */
export type LimitOverrides = Pick<Project, 'maxRequestsPerMinute' | 'maxTokensPerMinute' | 'maxActiveRuns'>;

export const NO_OVERRIDES: LimitOverrides = { maxRequestsPerMinute: null, maxTokensPerMinute: null, maxActiveRuns: null };

/** The limits that apply to one project; null: none. */
export interface ProjectLimits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  maxActiveRuns: number | null;
}

/** The defaults from the settings, every project's unless overridden. */
export interface LimitDefaults extends ProjectLimits {
  /** How long a "minute" lasts: 60 s, shorter only for tests (RATE_LIMIT_WINDOW_SECONDS). */
  windowSeconds: number;
}

const pick = (override: number | null, fallback: number | null) => (override === null ? fallback : override || null);

export function limitsOf(defaults: LimitDefaults, overrides: LimitOverrides): ProjectLimits {
  return {
    requestsPerMinute: pick(overrides.maxRequestsPerMinute, defaults.requestsPerMinute),
    tokensPerMinute: pick(overrides.maxTokensPerMinute, defaults.tokensPerMinute),
    maxActiveRuns: pick(overrides.maxActiveRuns, defaults.maxActiveRuns),
  };
}
