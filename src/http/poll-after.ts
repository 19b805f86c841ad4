import type Koa from 'koa';

/**
 * How long the SDK's polling helpers (vector-store files' and batches' `createAndPoll`,
 * `uploadAndPoll`, `poll`) wait before retrieving an object still `in_progress` again
 * (`openai-poll-after-ms`, as OpenAI sends it); without it they wait 5 s.
 */
export function pollAfter(ctx: Koa.Context, status: string): void {
  if (status === 'in_progress') ctx.set('openai-poll-after-ms', '500');
}
