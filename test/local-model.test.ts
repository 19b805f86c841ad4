/**
 * The in-process backend on real weights: SmolLM2-135M (the demo model, from .venv) behind an API
 * process of its own (its worker inside, on its own task queue), driven through the official SDK.
 * Greedy decoding plus the reply grammar make the function name, the argument key and the
 * statuses deterministic; the wording of answers is not, so only their presence is asserted.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { demoModelPath } from '../src/llm/local.js';
import { uniqueModel } from './support/client.js';
import { waitForRun, weatherTool } from './support/runs.js';
import { startService, type Service } from './support/services.js';

let api: Service;
let openai: OpenAI;
const model = 'smollm2';
const sampling = { temperature: 0, max_completion_tokens: 256 };

beforeAll(async () => {
  api = await startService('api', {
    ...inject('serviceEnv'),
    MODEL_URL: `local:${demoModelPath()}`,
    MODEL_SEED: '7',
    TEMPORAL_TASK_QUEUE: `local-model-${uniqueModel('q')}`,
  });
  openai = new OpenAI({ baseURL: api.url, apiKey: 'EMPTY', maxRetries: 0 });
});

afterAll(() => api?.stop());

const textOf = (m: OpenAI.Beta.Threads.Message) => m.content.map((c) => (c.type === 'text' ? c.text.value : '')).join('');

// Real inference shares 2 cores with the rest of the suite: a generation can take many times longer than alone.
describe('local model (SmolLM2-135M in-process)', { timeout: 240_000 }, () => {
  it('the README weather walkthrough: requires_action with getCurrentWeather(location), then an answer', async () => {
    const instructions = 'You are a weather bot. Use the provided functions to answer questions.';
    const assistant = await openai.beta.assistants.create({ model, instructions, name: 'Weather Bot', tools: [weatherTool] });
    const thread = await openai.beta.threads.create();
    await openai.beta.threads.messages.create(thread.id, { role: 'user', content: "What's the weather in San Francisco?" });
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, instructions, ...sampling });
    const waiting = await waitForRun(openai, thread.id, run.id, (r) => !['queued', 'in_progress'].includes(r.status), 180_000);
    expect(waiting.status).toBe('requires_action');
    const [call, ...more] = waiting.required_action!.submit_tool_outputs.tool_calls;
    expect(more).toEqual([]);
    expect(call!.function.name).toBe('getCurrentWeather');
    expect(JSON.parse(call!.function.arguments)).toHaveProperty('location');

    const done = await openai.beta.threads.runs.submitToolOutputsAndPoll(run.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: call!.id, output: '{"temperature": 68, "unit": "F"}' }],
    });
    expect(done.status).toBe('completed');
    expect(done.usage!.completion_tokens).toBeGreaterThan(0);
    const [answer] = (await openai.beta.threads.messages.list(thread.id)).data;
    expect(answer!.role).toBe('assistant');
    expect(textOf(answer!).trim()).not.toBe('');
  });

  it('streams: text deltas arrive before the run completes', async () => {
    const assistant = await openai.beta.assistants.create({ model, instructions: 'You are a helpful assistant. Answer in one short sentence.' });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Name three colours.' }] });
    const events: string[] = [];
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id, ...sampling });
    stream.on('event', (e) => events.push(e.event));
    const run = await stream.finalRun();
    expect(run.status).toBe('completed');
    const firstDelta = events.indexOf('thread.message.delta');
    expect(firstDelta).toBeGreaterThan(-1);
    expect(firstDelta).toBeLessThan(events.indexOf('thread.run.completed'));
    expect(events.filter((e) => e === 'thread.message.delta').length).toBeGreaterThan(1);
  });

  it('a multi-turn thread: the second run sees the first exchange and answers too', async () => {
    const assistant = await openai.beta.assistants.create({ model, instructions: 'You are a helpful assistant. Answer in one short sentence.' });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'My name is Ada.' }] });
    const first = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, ...sampling });
    expect(first.status).toBe('completed');
    await openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'What is my name?' });
    const second = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, ...sampling });
    expect(second.status).toBe('completed');
    // the whole thread went into the second prompt
    expect(second.usage!.prompt_tokens).toBeGreaterThan(first.usage!.prompt_tokens);
    const messages = (await openai.beta.threads.messages.list(thread.id, { order: 'asc' })).data;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    for (const m of messages) expect(textOf(m).trim()).not.toBe('');
  });

  it('a cancel mid-generation ends the run cancelled', async () => {
    const assistant = await openai.beta.assistants.create({ model, instructions: 'You are a storyteller.' });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Tell a very long story about a cat.' }] });
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id, temperature: 0, max_completion_tokens: 1000 });
    const started = new Promise<string>((resolve) => stream.on('textDelta', () => resolve(stream.currentRun()!.id)));
    const runId = await started;
    const cancelling = await openai.beta.threads.runs.cancel(runId, { thread_id: thread.id });
    expect(cancelling.status).toBe('cancelling');
    const cancelled = await waitForRun(openai, thread.id, runId, (r) => r.status !== 'cancelling', 60_000);
    expect(cancelled.status).toBe('cancelled');
    const steps = (await openai.beta.threads.runs.steps.list(runId, { thread_id: thread.id })).data;
    expect(steps[0]!.status).toBe('cancelled');
    stream.abort();
  });
});
