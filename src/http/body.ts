import coBody from 'co-body';
import type Koa from 'koa';
import { ApiError, badRequest } from './errors.js';

declare module 'koa' {
  interface Request {
    /** The parsed JSON body (`jsonBody`); undefined when the request had none to parse. */
    body?: unknown;
  }
}

const NOT_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";

/**
 * Parses every request body as JSON — the SDKs send nothing else, and a body whose content type
 * was forgotten is still read — except forms, which JSON endpoints refuse in `body()`.
 * `__proto__` is kept as the plain key JSON makes it, for src/http/input-guard.ts to name.
 */
export function jsonBody(limit: string): Koa.Middleware {
  const options: coBody.Options & { onProtoPoisoning: 'ignore' } = { limit, strict: true, onProtoPoisoning: 'ignore' };
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && !ctx.is('multipart/*', 'urlencoded')) {
      ctx.request.body = await coBody.json(ctx, options).catch((err: Error & { status?: number; type?: string }) => {
        throw bodyError(err);
      });
    }
    await next();
  };
}

function bodyError(err: Error & { status?: number; type?: string }): ApiError {
  if (err.status === 413 || err.type === 'entity.too.large') {
    return new ApiError(413, 'Request body is too large.', 'invalid_request_error', null, 'request_too_large');
  }
  if (err.status === 415) return new ApiError(415, err.message, 'invalid_request_error', null, 'unsupported_media_type');
  return badRequest(NOT_JSON);
}

/** The parsed JSON body of a JSON endpoint; an empty body is `{}`, anything but an object is a 400. */
export function body(ctx: Koa.Context): Record<string, unknown> {
  const type = ctx.is('multipart/*', 'urlencoded');
  if (type) {
    throw new ApiError(
      415,
      `Unsupported content type: '${ctx.get('content-type')}'. This API method only accepts 'application/json' requests, but you specified the header 'Content-Type: ${ctx.get('content-type')}'. Please try again with a supported content type.`,
      'invalid_request_error',
      null,
      'unsupported_content_type',
    );
  }
  const b: unknown = ctx.request.body;
  if (b === undefined || b === null || (typeof b === 'object' && !Array.isArray(b) && Object.keys(b).length === 0)) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw badRequest('Invalid request body: expected a JSON object.');
  return b as Record<string, unknown>;
}
