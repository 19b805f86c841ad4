import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type Koa from 'koa';
import type { Db } from '../db/client.js';
import { claimKey, releaseKey, storedResponse, storeResponse } from '../db/idempotency.js';
import { ApiError, badRequest, toApiError } from './errors.js';

/** A repeat that finds the first request still running polls this often, for at most WAIT_MS. */
const POLL_MS = 50;
const WAIT_MS = 60_000;

const sha256 = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

/**
 * `Idempotency-Key` on a POST (a client sets it, e.g. the SDKs' `idempotencyKey` request option,
 * and keeps it across retries): the first request runs; a repeat with the same key and body
 * within 24 h gets the first one's status and body without running again, and waits while the
 * first is in progress. The same key with another method, path or body is refused. Keys are per
 * API key. A 5xx or a 429 (a limit, src/limits/) is not kept: the retry runs again. A streamed
 * answer cannot be replayed: a repeat of it is told so and pointed at the run (README, "Faults
 * and recovery").
 */
export function idempotency(db: Db): Koa.Middleware {
  return async (ctx, next) => {
    const header = ctx.get('idempotency-key');
    if (ctx.method !== 'POST' || !header) return next();
    const key = sha256(ctx.get('authorization'), header);
    const fingerprint = sha256(ctx.method, ctx.path, JSON.stringify(ctx.request.body ?? null));

    for (const deadline = Date.now() + WAIT_MS; ; await sleep(POLL_MS)) {
      if (await claimKey(db, key, fingerprint)) return runFirst(ctx, next, db, key);
      const stored = await storedResponse(db, key);
      if (!stored) continue; // released by a first request that failed: claim it now
      if (stored.fingerprint !== fingerprint) throw keyReused(header);
      if (stored.status !== null) return replay(ctx, stored.status, stored.body, header);
      if (Date.now() > deadline) {
        // 409 is what the SDKs retry: the first request may be done by then.
        throw new ApiError(409, `A request with Idempotency-Key '${header}' is still in progress. Please retry.`, 'invalid_request_error', null, 'idempotency_key_in_progress');
      }
    }
  };
}

async function runFirst(ctx: Koa.Context, next: Koa.Next, db: Db, key: string): Promise<void> {
  try {
    await next();
  } catch (err) {
    const apiError = toApiError(err, ctx.method, ctx.originalUrl);
    if (retriable(apiError.status)) await releaseKey(db, key);
    else await storeResponse(db, key, apiError.status, apiError.toJSON());
    throw err;
  }
  if (ctx.respond === false) return storeResponse(db, key, ctx.status, STREAMED);
  if (retriable(ctx.status)) return releaseKey(db, key);
  await storeResponse(db, key, ctx.status, ctx.body);
}

/** What a retry with the same key may answer otherwise. */
const retriable = (status: number) => status >= 500 || status === 429;

/** What is kept for a request answered with a stream. */
const STREAMED = { streamed: true };

function replay(ctx: Koa.Context, status: number, body: unknown, header: string): void {
  if (isStreamed(body)) {
    throw badRequest(
      `The request with Idempotency-Key '${header}' was answered with a stream, which cannot be sent again. Retrieve the run (or list the thread's runs) to follow it.`,
      null,
      'idempotency_key_reused',
    );
  }
  ctx.status = status;
  ctx.body = body;
  ctx.set('idempotent-replayed', 'true');
}

const isStreamed = (body: unknown) => typeof body === 'object' && body !== null && (body as { streamed?: unknown }).streamed === true && Object.keys(body).length === 1;

const keyReused = (header: string) =>
  badRequest(
    `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${header}' if you meant to execute a different request.`,
    null,
    'idempotency_key_reused',
  );
