import Router from '@koa/router';
import Koa from 'koa';
import { randomBytes } from 'node:crypto';
import { metrics } from '../metrics.js';
import type { AppDeps } from '../services/deps.js';
import { adminRoutes } from './admin/routes.js';
import { auth } from './auth.js';
import { invalidUrl, toApiError } from './errors.js';
import { idempotency } from './idempotency.js';
import { assistantRoutes } from './assistants/routes.js';
import { assistantsV1Hints } from './assistants-v1.js';
import { corsFor } from './cors.js';
import { jsonBody } from './body.js';
import { fileRoutes } from './files/routes.js';
import { healthRoutes, type HealthCheck } from './health/routes.js';
import { conversationRoutes } from './conversations/routes.js';
import { guardPathParams, inputGuard } from './input-guard.js';
import { messageRoutes } from './messages/routes.js';
import { metricsRoutes } from './metrics/routes.js';
import { requireOwnedParams } from './ownership.js';
import { rateLimits } from './rate-limits.js';
import { responseRoutes } from './responses/routes.js';
import { runRoutes } from './runs/routes.js';
import { threadRoutes } from './threads/routes.js';
import { activeTraceId, traceRequests } from './tracing.js';
import { vectorStoreFileBatchRoutes } from './vector-store-file-batches/routes.js';
import { vectorStoreFileRoutes } from './vector-store-files/routes.js';
import { vectorStoreRoutes } from './vector-stores/routes.js';
import { vectorStoreSearchRoutes } from './vector-stores/search-routes.js';

export function createApp(deps: AppDeps, health: HealthCheck): Koa {
  const app = new Koa();
  const router = new Router();
  // Runs first: `POST /threads/runs` must not be taken for `POST /threads/:thread_id`.
  runRoutes(router);
  assistantRoutes(router);
  threadRoutes(router);
  messageRoutes(router);
  responseRoutes(router);
  conversationRoutes(router);
  fileRoutes(router, deps.config.files.minExpirySeconds);
  vectorStoreRoutes(router);
  vectorStoreFileRoutes(router);
  vectorStoreFileBatchRoutes(router);
  vectorStoreSearchRoutes(router);
  adminRoutes(router, deps);
  guardPathParams(router);
  requireOwnedParams(router);
  const open = new Router();
  healthRoutes(open, health);
  metricsRoutes(open, { key: deps.config.metrics.apiKey, keyed: () => deps.authenticator.keyed() });

  // Off, tracing adds nothing to a request's path.
  if (deps.config.tracing.exporter !== 'none') app.use(traceRequests);
  app.use(requestContext(deps));
  app.use(errors());
  app.use(corsFor(deps.config.corsOrigins));
  app.use(stripVersionPrefix);
  app.use(open.routes());
  app.use(auth(deps));
  app.use(rateLimits(deps));
  app.use(jsonBody(deps.config.bodyLimit));
  app.use(inputGuard);
  app.use(assistantsV1Hints);
  app.use(idempotency(deps.db));
  app.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) throw invalidUrl(ctx.method, ctx.originalUrl.split('?')[0]!);
  });
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}

/**
 * `x-request-id` and `openai-processing-ms` on every response, as OpenAI sends them (a stream
 * writes its own headers, src/http/sse.ts), a child logger that carries the id, and the
 * request's duration by route pattern (the pattern, not the path, keeps the label set small).
 */
function requestContext({ log }: AppDeps): Koa.Middleware {
  return async (ctx, next) => {
    const id = `req_${randomBytes(16).toString('hex')}`;
    ctx.state.log = log.child({ request_id: id, trace_id: activeTraceId() });
    ctx.state.started = performance.now();
    ctx.set('x-request-id', id);
    const elapsed = () => performance.now() - (ctx.state.started as number);
    try {
      await next();
      if (ctx.respond !== false) ctx.set('openai-processing-ms', String(Math.round(elapsed())));
    } finally {
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      metrics.httpRequests.observe({ method: ctx.method, route, status: String(ctx.status) }, elapsed() / 1000);
      ctx.state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(elapsed()) }, 'request');
    }
  };
}

/** One place turns anything thrown into OpenAI's error JSON; only real faults are 500s. */
function errors(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const apiError = toApiError(err, ctx.method, ctx.originalUrl);
      ctx.status = apiError.status;
      ctx.body = apiError.toJSON();
      if (apiError.status >= 500) ctx.state.log.error({ err }, 'request failed');
    }
  };
}

/** The seed's clients use baseURL `http://localhost:3000`, others `…/v1`: serve both. */
const stripVersionPrefix: Koa.Middleware = async (ctx, next) => {
  if (ctx.path === '/v1' || ctx.path.startsWith('/v1/')) ctx.path = ctx.path.slice(3) || '/';
  await next();
};
