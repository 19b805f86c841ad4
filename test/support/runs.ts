import type OpenAI from 'openai';
import type { Run } from 'openai/resources/beta/threads/runs/runs';

/** The seed walkthrough's function tool. */
export const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'getCurrentWeather',
    description: 'Get the weather in location',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string', description: 'The city and state e.g. San Francisco, CA' }, unit: { type: 'string' } },
      required: ['location'],
    },
  },
};

/** Polls `runs.retrieve` (as the seed's step 6 does by hand) until `done` holds. */
export async function waitForRun(openai: OpenAI, threadId: string, runId: string, done: (r: Run) => boolean, timeoutMs = 30_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await openai.beta.threads.runs.retrieve(runId, { thread_id: threadId });
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Not queued, in progress or cancelling: the run ended or waits for tool outputs. */
export const settled = (r: Run) => !['queued', 'in_progress', 'cancelling'].includes(r.status);
