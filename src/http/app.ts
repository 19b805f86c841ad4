import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { randomBytes } from 'node:crypto';
import type { Deps } from '../services/deps.js';
import { ApiError, fromDomainError, invalidUrl, methodNotAllowed, unauthorized } from './errors.js';
import { assistantRoutes } from './assistants/routes.js';
import { fileRoutes } from './files/routes.js';
import { healthRoutes, type HealthCheck } from './health/routes.js';
import { messageRoutes } from './messages/routes.js';
import { runRoutes } from './runs/routes.js';
import { threadRoutes } from './threads/routes.js';

export function createApp(deps: Deps, health: HealthCheck): Koa {
  const app = new Koa();
  const router = new Router();
  // Runs first: `POST /threads/runs` must not be taken for `POST /threads/:thread_id`.
  runRoutes(router, deps);
  assistantRoutes(router, deps);
  threadRoutes(router, deps);
  messageRoutes(router, deps);
  fileRoutes(router, deps);
  const open = new Router();
  healthRoutes(open, health);

  app.use(requestContext(deps));
  app.use(errors());
  app.use(stripVersionPrefix);
  app.use(open.routes());
  app.use(auth(deps.config.apiKeys));
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: deps.config.bodyLimit,
      // Everything the SDK sends is JSON; accept bodies whose content type was forgotten too.
      detectJSON: (ctx) => ctx.method !== 'GET' && !ctx.is('multipart/*', 'urlencoded'),
      onError: (err) => {
        throw bodyError(err as Error & { status?: number; type?: string });
      },
    }),
  );
  app.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) throw invalidUrl(ctx.method, ctx.originalUrl.split('?')[0]!);
  });
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}

/** `x-request-id` on every response, and a child logger that carries it. */
function requestContext({ log }: Deps): Koa.Middleware {
  return async (ctx, next) => {
    const id = `req_${randomBytes(16).toString('hex')}`;
    ctx.state.log = log.child({ request_id: id });
    ctx.set('x-request-id', id);
    const started = performance.now();
    try {
      await next();
    } finally {
      ctx.state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}

/** One place turns anything thrown into OpenAI's error JSON; only real faults are 500s. */
function errors(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const apiError = err instanceof ApiError ? err : (fromDomainError(err) ?? asClientError(err, ctx));
      ctx.status = apiError.status;
      ctx.body = apiError.toJSON();
      if (apiError.status >= 500) ctx.state.log.error({ err }, 'request failed');
    }
  };
}

function asClientError(err: unknown, ctx: Koa.Context): ApiError {
  const status = (err as { status?: number }).status;
  // @koa/router's allowedMethods throws 405 (path known, method not) and 501 (unknown method).
  if (status === 405 || status === 501) return methodNotAllowed(ctx.method, ctx.originalUrl.split('?')[0]!);
  return new ApiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null, 'server_error');
}

function bodyError(err: Error & { status?: number; type?: string }): ApiError {
  if (err.status === 413 || err.type === 'entity.too.large') {
    return new ApiError(413, 'Request body is too large.', 'invalid_request_error', null, 'request_too_large');
  }
  if (err.status === 415) return new ApiError(415, err.message, 'invalid_request_error', null, 'unsupported_media_type');
  return new ApiError(
    400,
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    'invalid_request_error',
    null,
    null,
  );
}

/** The seed's clients use baseURL `http://localhost:3000`, others `…/v1`: serve both. */
const stripVersionPrefix: Koa.Middleware = async (ctx, next) => {
  if (ctx.path === '/v1' || ctx.path.startsWith('/v1/')) ctx.path = ctx.path.slice(3) || '/';
  await next();
};

/** With API_KEYS unset any bearer key is accepted (the seed's clients send `EMPTY`). */
function auth(keys: string[] | null): Koa.Middleware {
  const allowed = keys ? new Set(keys) : null;
  return async (ctx, next) => {
    if (allowed) {
      const match = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
      const key = match?.[1]?.trim();
      if (!key || !allowed.has(key)) throw unauthorized(key);
    }
    await next();
  };
}
