/**
 * Runs survive what kills processes: expiry is a durable timer, a worker SIGKILLed mid-run is
 * replaced and the run completes once (also when that worker is the API's own, which runs
 * eagerly started runs), an API restart changes nothing. Each test has its own
 * task queue, API and worker processes, so killing them touches no other test.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { failure, llm, uniqueModel } from './support/client.js';
import { waitForRun } from './support/runs.js';
import { startForTest } from './support/services.js';

const start = startForTest;

/** By default the runs are done by the worker process alone (API_WORKER=false), so killing it is what counts. */
async function setUp(env: Record<string, string>, replies: Parameters<ReturnType<typeof llm>['script']>[1], tools = true, apiWorker = false) {
  const queue = { TEMPORAL_TASK_QUEUE: `durability-${uniqueModel('q')}`, ...env };
  const api = await start('api', { ...queue, API_WORKER: String(apiWorker) });
  const worker = await start('worker', queue);
  const openai = new OpenAI({ baseURL: api.url, apiKey: 'EMPTY', maxRetries: 0 });
  const model = uniqueModel('durable');
  await llm().script(model, replies);
  const assistant = await openai.beta.assistants.create({
    model,
    tools: tools ? [{ type: 'function', function: { name: 'getCurrentWeather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }] : [],
  });
  const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'weather?' }] });
  return { api, worker, openai, assistant, thread, queue };
}

// Each test starts its own API and worker processes: on 2 cores busy with the rest of the suite
// that alone can take most of a minute.
describe('expiry', { timeout: 180_000 }, () => {
  it('a run waiting for tool outputs expires at expires_at: run expired, tool step expired', async () => {
    // Long enough to reach requires_action first on a loaded machine.
    const { openai, assistant, thread } = await setUp({ RUN_EXPIRY_SECONDS: '8' }, [{ toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }] }]);
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    expect(run.expires_at).toBe(run.created_at + 8);
    const waiting = await waitForRun(openai, thread.id, run.id, (r) => r.status === 'requires_action');
    const expired = await waitForRun(openai, thread.id, run.id, (r) => r.status === 'expired', 20_000);
    // within a second (plus the 1-second resolution of timestamps) of expires_at
    expect(Date.now() / 1000).toBeLessThan(run.expires_at! + 2.5);
    expect(expired.required_action).toBeNull();
    const [step] = (await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data;
    expect(step).toMatchObject({ type: 'tool_calls', status: 'expired' });
    expect(step!.expired_at).toBeGreaterThanOrEqual(run.expires_at!);
    const late = await failure(
      openai.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id, output: 'x' }] }),
    );
    expect(late.error).toMatchObject({ message: 'Runs in status "expired" do not accept tool outputs.' });
    // the thread takes messages again
    await openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'hello?' });
  });

  it('expires even when no worker was up at expires_at: the timer is durable', async () => {
    const { openai, assistant, thread, worker, queue } = await setUp({ RUN_EXPIRY_SECONDS: '10' }, [{ toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }] }]);
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await waitForRun(openai, thread.id, run.id, (r) => r.status === 'requires_action');
    await worker.stop(true);
    while (Date.now() / 1000 < run.expires_at! + 2) await new Promise((r) => setTimeout(r, 200));
    // nobody could write it yet
    expect((await openai.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).status).toBe('requires_action');
    await start('worker', queue);
    const expired = await waitForRun(openai, thread.id, run.id, (r) => r.status === 'expired', 15_000);
    expect(expired.status).toBe('expired');
  });
});

describe('process deaths', { timeout: 180_000 }, () => {
  const answer = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
  /** A slow first attempt to kill mid-answer, then a quick second one. */
  const twoAttempts = [
    { text: answer, chunkSize: 4, delayMs: 60 },
    { text: answer, chunkSize: 8 },
  ];

  /** Waits until the first attempt has written its step and message: it is mid-stream then. */
  async function midStream(openai: OpenAI, threadId: string, runId: string) {
    const deadline = Date.now() + 10_000;
    while ((await openai.beta.threads.runs.steps.list(runId, { thread_id: threadId })).data.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }

  /** Completed once: one answer, whole, one step, and exactly the two model calls. */
  async function expectCompletedOnce(openai: OpenAI, threadId: string, runId: string, model: string) {
    const done = await waitForRun(openai, threadId, runId, (r) => !['queued', 'in_progress'].includes(r.status), 60_000);
    expect(done.status).toBe('completed');
    const messages = (await openai.beta.threads.messages.list(threadId)).data;
    expect(messages.map((m) => m.role)).toEqual(['assistant', 'user']);
    expect((messages[0]!.content[0] as { text: { value: string } }).text.value).toBe(answer);
    const steps = (await openai.beta.threads.runs.steps.list(runId, { thread_id: threadId })).data;
    expect(steps.map((s) => [s.type, s.status])).toEqual([['message_creation', 'completed']]);
    expect(await llm().requests(model)).toHaveLength(2);
  }

  it('a worker SIGKILLed mid-stream is replaced and the run completes once: no duplicate messages or steps', async () => {
    const { openai, assistant, thread, worker, queue } = await setUp({}, twoAttempts, false);
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await midStream(openai, thread.id, run.id);
    await worker.stop(true);
    await start('worker', queue);
    await expectCompletedOnce(openai, thread.id, run.id, assistant.model);
  });

  it('an API SIGKILLed while its own worker streams a run: the worker process takes the run over and completes it once', async () => {
    const { openai, assistant, thread, api, queue } = await setUp({}, twoAttempts, false, true);
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    // Started eagerly, the run streams on the API's own worker: kill that process mid-answer.
    await midStream(openai, thread.id, run.id);
    expect(await llm().requests(assistant.model)).toHaveLength(1);
    await api.stop(true);
    const again = await start('api', { ...queue, API_WORKER: 'false', PORT: new URL(api.url).port });
    await expectCompletedOnce(new OpenAI({ baseURL: again.url, apiKey: 'EMPTY', maxRetries: 0 }), thread.id, run.id, assistant.model);
  });

  it('restarting the API changes nothing: the run goes on without it', async () => {
    const { openai, assistant, thread, api, queue } = await setUp({}, [{ text: 'slow answer '.repeat(20), chunkSize: 6, delayMs: 40 }], false);
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await api.stop();
    await new Promise((r) => setTimeout(r, 3_000));
    const again = await start('api', { ...queue, PORT: new URL(api.url).port });
    const reopened = new OpenAI({ baseURL: again.url, apiKey: 'EMPTY', maxRetries: 0 });
    const done = await waitForRun(reopened, thread.id, run.id, (r) => r.status === 'completed');
    expect(done.usage!.completion_tokens).toBeGreaterThan(0);
    expect((await reopened.beta.threads.messages.list(thread.id)).data).toHaveLength(2);
  });
});
