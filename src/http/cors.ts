import cors from '@koa/cors';
import type Koa from 'koa';
import { RATE_LIMIT_HEADERS } from './rate-limits.js';

/**
 * What a page's script may read of our answers: OpenAI's own headers, and the rate-limit ones
 * (the SDK's retries wait what `retry-after` says).
 */
const EXPOSED = ['x-request-id', 'openai-processing-ms', 'openai-poll-after-ms', ...RATE_LIMIT_HEADERS];

/**
 * CORS for SDK use from web pages (CORS_ORIGINS): the origins listed, or any with `*`; none set,
 * no CORS headers at all. Preflights answer before auth, as browsers send them without the key;
 * the request headers a preflight asks for (authorization, openai-beta, the SDK's x-stainless-*)
 * are allowed as asked.
 */
export function corsFor(origins: string[] | null): Koa.Middleware {
  if (!origins) return (_ctx, next) => next();
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => (any ? '*' : allowed.has(ctx.get('origin')) ? ctx.get('origin') : ''),
    exposeHeaders: EXPOSED,
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    maxAge: 600,
    keepHeadersOnError: true,
  });
}
