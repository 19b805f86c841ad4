/**
 * The seed's walkthrough, a streamed run with a tool call, the polling helpers and a 404 through
 * every openai-node major still in use (test/support/sdk-generations.ts), against the real stack
 * with the scripted model.
 */
import { describe, expect, inject, it } from 'vitest';
import { llm, uniqueModel } from './support/client.js';
import { weatherTool } from './support/runs.js';
import { generations, type MessageLike, type RunLike } from './support/sdk-generations.js';

const INSTRUCTIONS = 'You are a weather bot. Use the provided functions to answer questions.';
const QUESTION = "What's the weather in San Francisco?";
const ANSWER = 'It is 68 degrees Fahrenheit in San Francisco.';
const WEATHER = '{"temperature": 68, "unit": "F"}';
const FAST = { pollIntervalMs: 100 };

const textOf = (m: MessageLike | undefined) => m?.content[0]?.text?.value;

/** The one tool call a run waits on, checked to be the scripted `getCurrentWeather` call. */
function weatherCall(run: RunLike) {
  expect(run.status).toBe('requires_action');
  const calls = run.required_action?.submit_tool_outputs.tool_calls ?? [];
  expect(calls).toHaveLength(1);
  const call = calls[0]!;
  expect(call.function.name).toBe('getCurrentWeather');
  expect(JSON.parse(call.function.arguments)).toEqual({ location: 'San Francisco, CA' });
  return call;
}

for (const gen of generations) describe.concurrent(`openai-node ${gen.major}.x (${gen.version})`, () => {
  const { sdk, runs } = gen.connect(inject('apiUrl'));

  /** The seed's weather bot on a model of the test's own that calls the tool once, then answers. */
  async function weatherThread() {
    const model = uniqueModel(`sdk${gen.major}`);
    await llm().script(model, [{ toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'San Francisco, CA' } }] }, { text: ANSWER }]);
    const assistant = await sdk.beta.assistants.create({ instructions: INSTRUCTIONS, model, name: 'Weather Bot', tools: [weatherTool] });
    const thread = await sdk.beta.threads.create();
    await sdk.beta.threads.messages.create(thread.id, { role: 'user', content: QUESTION });
    return { assistant, thread };
  }

  it('is the major it is named for', () => {
    expect(gen.version.split('.')[0]).toBe(String(gen.major));
  });

  it('runs the walkthrough: poll to requires_action, submit, poll to completed, list messages', async () => {
    const { assistant, thread } = await weatherThread();
    let run = await sdk.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, instructions: INSTRUCTIONS });
    while (run.status === 'queued' || run.status === 'in_progress') {
      await new Promise((r) => setTimeout(r, 100));
      run = await runs.retrieve(thread.id, run.id);
    }
    const call = weatherCall(run);

    run = await runs.submitToolOutputs(thread.id, run.id, [{ tool_call_id: call.id, output: WEATHER }]);
    run = await runs.poll(thread.id, run.id, FAST);
    expect(run.status).toBe('completed');

    const messages = await sdk.beta.threads.messages.list(thread.id);
    expect(messages.data.map((m) => [m.role, textOf(m)])).toEqual([
      ['assistant', ANSWER],
      ['user', QUESTION],
    ]);
  });

  it('streams a run to its tool call, then the answer after submitToolOutputsStream', async () => {
    const { assistant, thread } = await weatherThread();
    const created: string[] = [];
    const first = await sdk.beta.threads.runs
      .stream(thread.id, { assistant_id: assistant.id })
      .on('toolCallCreated', (c) => created.push(`${c.type}:${c.id}`))
      .finalRun();
    const call = weatherCall(first);
    expect(created).toEqual([`function:${call.id}`]);

    const deltas: string[] = [];
    let snapshot = '';
    const answer = runs.submitToolOutputsStream(thread.id, first.id, [{ tool_call_id: call.id, output: WEATHER }]).on('textDelta', (d, snap) => {
      deltas.push(d.value ?? '');
      snapshot = snap.value;
    });
    const final = await answer.finalRun();
    expect(final).toMatchObject({ id: first.id, status: 'completed' });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(ANSWER);
    expect(snapshot).toBe(ANSWER);
    expect((await answer.finalMessages()).map(textOf)).toEqual([ANSWER]);
  });

  it('polls with createAndPoll and submitToolOutputsAndPoll', async () => {
    const { assistant, thread } = await weatherThread();
    const waiting = await sdk.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, FAST);
    const call = weatherCall(waiting);
    const done = await runs.submitToolOutputsAndPoll(thread.id, waiting.id, [{ tool_call_id: call.id, output: WEATHER }], FAST);
    expect(done).toMatchObject({ id: waiting.id, status: 'completed' });
    expect(textOf((await sdk.beta.threads.messages.list(thread.id)).data[0])).toBe(ANSWER);
  });

  it('throws its own NotFoundError for a missing assistant or run', async () => {
    const missing = await sdk.beta.assistants.retrieve('asst_missing').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(gen.NotFoundError);
    expect(missing).toMatchObject({ status: 404 });

    const thread = await sdk.beta.threads.create();
    await expect(runs.retrieve(thread.id, 'run_missing')).rejects.toBeInstanceOf(gen.NotFoundError);
  });
});
