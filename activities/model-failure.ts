import { ApplicationFailure } from '@temporalio/activity';
import type { LlmError, LlmErrorCode } from '../src/llm/index.js';

/**
 * What every API user reads in `last_error.message`. The model server's own text (and ours,
 * which names settings, hosts and ports) is for operators and goes to the log only.
 */
const PUBLIC_MESSAGES: Record<LlmErrorCode, string> = {
  server_error: 'Sorry, something went wrong.',
  rate_limit_exceeded: 'Rate limit reached for the model. Please try again later.',
  invalid_prompt: 'The model could not process the prompt.',
};

/**
 * A model server that is not there: the setting is named (it is what the operator must fix),
 * its host and port are not (they go to the log with the rest).
 */
const UNREACHABLE_MESSAGE = 'The model server could not be reached. Check the server\'s MODEL_URL setting.';
/** Attempts at a model server that is not there: one more, in case it was restarting, then the run fails. */
const UNREACHABLE_ATTEMPTS = 2;

/** The model activity's retry policy (workflows/run.ts): backoff from 1 s, doubling, capped at 30 s. */
const BACKOFF_INITIAL_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

export interface RetryBounds {
  /** LLM_MAX_RETRY_DELAY_MS: the longest wait a `retry-after` may ask for. */
  maxRetryDelayMs: number;
  /** This attempt, from 1. */
  attempt: number;
  /** The run's `expires_at` (unix seconds), if it has one. */
  expiresAt: number | null;
  now?: number;
}

/**
 * The failure the workflow sees for a failed model call. A retry waits what the backend asked,
 * capped at LLM_MAX_RETRY_DELAY_MS; one that would start at or after the run's `expires_at`
 * is not made: the run fails now instead of sitting `in_progress` past its expiry, blocking
 * its thread.
 */
export function modelCallFailure(err: LlmError, bounds: RetryBounds): ApplicationFailure {
  const backoff = Math.min(BACKOFF_INITIAL_MS * 2 ** (bounds.attempt - 1), BACKOFF_MAX_MS);
  const delay = Math.min(err.retryAfterMs ?? backoff, bounds.maxRetryDelayMs);
  const now = bounds.now ?? Date.now();
  const outlivesRun = bounds.expiresAt !== null && now + delay >= bounds.expiresAt * 1000;
  const givenUp = err.unreachable && bounds.attempt >= UNREACHABLE_ATTEMPTS;
  return ApplicationFailure.create({
    type: err.code,
    message: err.unreachable ? UNREACHABLE_MESSAGE : PUBLIC_MESSAGES[err.code],
    nonRetryable: !err.retryable || outlivesRun || givenUp,
    nextRetryDelay: delay,
  });
}
