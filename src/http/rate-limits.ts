import type Koa from 'koa';
import { countRequest, type WindowState } from '../db/rate-limits.js';
import { OverridesCache } from '../limits/overrides-cache.js';
import { limitsOf, type ProjectLimits } from '../limits/policy.js';
import type { AppDeps } from '../services/deps.js';
import { isAdminPath } from './auth.js';
import { rateLimited } from './errors.js';

/**
 * The requests that start model work, refused once the window's tokens are spent (the routes of
 * src/http/runs and src/http/responses): create run, create thread and run, submit tool outputs,
 * create response.
 */
const MODEL_WORK = [/^\/threads\/runs$/, /^\/threads\/[^/]+\/runs$/, /^\/threads\/[^/]+\/runs\/[^/]+\/submit_tool_outputs$/, /^\/responses$/];

/**
 * Requests and tokens per minute per project, after auth (src/http/auth.ts), on the project
 * endpoints. A project with neither limit costs no round trip; one with either counts every
 * request in its window with one upsert (src/db/rate-limits.ts) and gets OpenAI's
 * `x-ratelimit-*` headers, on a 429 with `retry-after`. The cap on active runs is the services'
 * (src/services/limits.ts): it is handed to them in `ctx.state.deps`.
 */
export function rateLimits({ db, config }: AppDeps): Koa.Middleware {
  const cache = new OverridesCache(db);
  return async (ctx, next) => {
    if (isAdminPath(ctx.path)) return next();
    const { projectId, overrides } = ctx.state.principal;
    const limits = limitsOf(config.limits, overrides ?? (await cache.get(projectId)));
    if (limits.maxActiveRuns !== null) ctx.state.deps = { ...ctx.state.deps, maxActiveRuns: limits.maxActiveRuns };
    if (limits.requestsPerMinute !== null || limits.tokensPerMinute !== null) {
      const window = await countRequest(db, projectId, config.limits.windowSeconds);
      enforce(ctx, projectId, limits, window);
    }
    return next();
  };
}

const headersOf = (kind: 'requests' | 'tokens') => ({ limit: `x-ratelimit-limit-${kind}`, remaining: `x-ratelimit-remaining-${kind}`, reset: `x-ratelimit-reset-${kind}` });
const REQUESTS = headersOf('requests');
const TOKENS = headersOf('tokens');

/** Every header a limited project's answers may carry (CORS exposes them to pages). */
export const RATE_LIMIT_HEADERS = [...Object.values(REQUESTS), ...Object.values(TOKENS), 'retry-after'];

function enforce(ctx: Koa.Context, projectId: string, { requestsPerMinute: rpm, tokensPerMinute: tpm }: ProjectLimits, w: WindowState): void {
  const reset = duration(w.resetMs);
  if (rpm !== null) {
    ctx.set({ [REQUESTS.limit]: String(rpm), [REQUESTS.remaining]: String(Math.max(0, rpm - w.requests)), [REQUESTS.reset]: reset });
  }
  if (tpm !== null) {
    ctx.set({ [TOKENS.limit]: String(tpm), [TOKENS.remaining]: String(Math.max(0, tpm - w.tokens)), [TOKENS.reset]: reset });
  }
  const refuse = (type: 'requests' | 'tokens', limit: number, used: number) => {
    ctx.set('retry-after', String(Math.ceil(w.resetMs / 1000)));
    const per = type === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
    return rateLimited(type, `Rate limit reached for ${type} in project ${projectId} on ${per}: Limit ${limit}, Used ${used}, Requested 1. Please try again in ${reset}.`);
  };
  // Refused requests are counted too: the window's count says how many came, `Used` how many were served.
  if (rpm !== null && w.requests > rpm) throw refuse('requests', rpm, Math.min(w.requests - 1, rpm));
  if (tpm !== null && w.tokens >= tpm && ctx.method === 'POST' && MODEL_WORK.some((p) => p.test(ctx.path))) throw refuse('tokens', tpm, w.tokens);
}

/** A duration as OpenAI's headers and messages write it: `20ms`, `1.5s`, `6m0s`. */
function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = `${Number(((ms % 60_000) / 1000).toFixed(3))}s`;
  return h ? `${h}h${m}m${s}` : m ? `${m}m${s}` : s;
}
