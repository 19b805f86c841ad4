import { ConflictError, InvalidInputError, LimitExceededError, NotFoundError, TooLargeError, UnavailableError } from '../errors.js';

/**
 * OpenAI-shaped errors: `{error:{message,type,param,code}}` with the status OpenAI would use.
 * A 429's type names the limit reached, as OpenAI's do.
 */
export type ErrorType = 'invalid_request_error' | 'server_error' | 'requests' | 'tokens';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  toJSON() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, 'invalid_request_error', param, code);

/**
 * The one place a domain error (src/errors.ts) becomes OpenAI's answer. A conflict with the
 * resource's state is a 400, as OpenAI answers it (the SDKs would retry a 409).
 */
export function fromDomainError(err: unknown): ApiError | undefined {
  if (err instanceof NotFoundError) return new ApiError(404, err.message, 'invalid_request_error', err.param);
  if (err instanceof InvalidInputError) return badRequest(err.message, err.param, err.code);
  if (err instanceof ConflictError) return badRequest(err.message);
  if (err instanceof UnavailableError) return new ApiError(503, err.message, 'server_error', null, 'service_unavailable');
  if (err instanceof TooLargeError) return new ApiError(413, err.message, 'invalid_request_error', err.param, 'file_too_large');
  if (err instanceof LimitExceededError) return rateLimited('requests', err.message);
  return undefined;
}

/**
 * Anything thrown while serving a request, as OpenAI's answer: a domain error as mapped above,
 * @koa/router's 405/501 as OpenAI's 405, anything else a 500 (only real faults get there).
 */
export function toApiError(err: unknown, method: string, url: string): ApiError {
  if (err instanceof ApiError) return err;
  const mapped = fromDomainError(err);
  if (mapped) return mapped;
  const status = (err as { status?: number }).status;
  if (status === 405 || status === 501) return methodNotAllowed(method, url.split('?')[0]!);
  return new ApiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null, 'server_error');
}

export const rateLimited = (type: 'requests' | 'tokens', message: string) => new ApiError(429, message, type, null, 'rate_limit_exceeded');

export const invalidUrl = (method: string, path: string) =>
  new ApiError(404, `Invalid URL (${method} ${path})`, 'invalid_request_error', null, null);

export const methodNotAllowed = (method: string, path: string) =>
  new ApiError(405, `Method ${method} is not allowed for ${path}.`, 'invalid_request_error', null, 'method_not_allowed');

export const unauthorized = (key: string | undefined) =>
  new ApiError(
    401,
    key
      ? `Incorrect API key provided: ${redact(key)}.`
      : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    'invalid_request_error',
    null,
    'invalid_api_key',
  );

function redact(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}
