import type OpenAI from 'openai';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { describe, expect, inject, it } from 'vitest';
import { client, failure, llm, uniqueModel } from './support/client.js';
import { messagesContaining, sql } from './support/db.js';
import { settled, waitForRun, weatherTool } from './support/runs.js';

const openai = client();
const text = (m: { content: unknown[] }) => (m.content[0] as { text: { value: string } }).text.value;

async function weatherBot(model: string, extra: Partial<OpenAI.Beta.AssistantCreateParams> = {}) {
  return openai.beta.assistants.create({
    instructions: 'You are a weather bot. Use the provided functions to answer questions.',
    model,
    name: 'Weather Bot',
    tools: [weatherTool],
    ...extra,
  });
}

const waitFor = (threadId: string, runId: string, done: (r: Run) => boolean, timeoutMs?: number) => waitForRun(openai, threadId, runId, done, timeoutMs);

describe("the seed's function-calling walkthrough", () => {
  it('runs step by step: create → poll to requires_action → submitToolOutputs → completed, answer uses the output', async () => {
    const model = uniqueModel('neural-chat');
    await llm().script(model, [
      { toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'San Francisco, CA', unit: 'imperial' } }] },
      { text: 'The temperature in San Francisco is 68 degrees Fahrenheit.' },
    ]);
    const assistant = await weatherBot(model);
    const thread = await openai.beta.threads.create();
    const question = await openai.beta.threads.messages.create(thread.id, { role: 'user', content: "What's the weather in San Francisco?" });

    const created = await openai.beta.threads.runs.create(thread.id, {
      assistant_id: assistant.id,
      instructions: 'You are a weather bot. Use the provided functions to answer questions.',
    });
    expect(created).toMatchObject({
      object: 'thread.run',
      thread_id: thread.id,
      assistant_id: assistant.id,
      status: 'queued',
      required_action: null,
      last_error: null,
      started_at: null,
      completed_at: null,
      model,
      tools: [{ type: 'function', function: { name: 'getCurrentWeather' } }],
      metadata: {},
      usage: null,
      temperature: 1,
      top_p: 1,
      tool_choice: 'auto',
      parallel_tool_calls: true,
      response_format: 'auto',
      truncation_strategy: { type: 'auto', last_messages: null },
      max_prompt_tokens: null,
      max_completion_tokens: null,
    });
    expect(created.id).toMatch(/^run_[0-9A-Za-z]{24}$/);
    expect(created.expires_at).toBe(created.created_at + 600);

    const waiting = await waitFor(thread.id, created.id, (r) => r.status !== 'queued' && r.status !== 'in_progress');
    expect(waiting.status).toBe('requires_action');
    expect(waiting.started_at).toBeGreaterThanOrEqual(created.created_at);
    expect(waiting.expires_at).toBe(created.expires_at);
    expect(waiting.usage!.total_tokens).toBeGreaterThan(0);
    const calls = waiting.required_action!.submit_tool_outputs.tool_calls;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ type: 'function', function: { name: 'getCurrentWeather' } });
    expect(JSON.parse(calls[0]!.function.arguments)).toEqual({ location: 'San Francisco, CA', unit: 'imperial' });

    const steps = await openai.beta.threads.runs.steps.list(created.id, { thread_id: thread.id });
    expect(steps.data).toHaveLength(1);
    expect(steps.data[0]).toMatchObject({ object: 'thread.run.step', type: 'tool_calls', status: 'in_progress', usage: null });

    const submitted = await openai.beta.threads.runs.submitToolOutputs(created.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: calls[0]!.id, output: '{"temperature": 68, "unit": "F"}' }],
    });
    expect(submitted.status).toBe('queued');
    expect(submitted.required_action).toBeNull();

    const done = await waitFor(thread.id, created.id, settled);
    expect(done).toMatchObject({ status: 'completed', expires_at: null, last_error: null, required_action: null });
    expect(done.completed_at).toBeGreaterThanOrEqual(done.started_at!);
    expect(done.usage!.total_tokens).toBe(done.usage!.prompt_tokens + done.usage!.completion_tokens);

    const messages = await openai.beta.threads.messages.list(thread.id);
    expect(messages.data.map((m) => m.role)).toEqual(['assistant', 'user']);
    expect(messages.data[1]!.id).toBe(question.id);
    expect(messages.data[0]).toMatchObject({ assistant_id: assistant.id, run_id: created.id, status: 'completed' });
    expect(text(messages.data[0]!)).toContain('68 degrees');
    expect((await openai.beta.threads.messages.list(thread.id, { run_id: created.id })).data.map((m) => m.id)).toEqual([messages.data[0]!.id]);

    // The model saw the tool output, tied to its call, after the question.
    const [, second] = await llm().requests(model);
    expect(second.messages).toEqual([
      { role: 'system', content: 'You are a weather bot. Use the provided functions to answer questions.' },
      { role: 'user', content: "What's the weather in San Francisco?" },
      { role: 'assistant', content: null, tool_calls: [{ id: calls[0]!.id, type: 'function', function: { name: 'getCurrentWeather', arguments: calls[0]!.function.arguments } }] },
      { role: 'tool', tool_call_id: calls[0]!.id, content: '{"temperature": 68, "unit": "F"}' },
    ]);
    expect(second.tools[0].function.name).toBe('getCurrentWeather');

    const allSteps = await openai.beta.threads.runs.steps.list(created.id, { thread_id: thread.id, order: 'asc' });
    expect(allSteps.data.map((s) => [s.type, s.status])).toEqual([
      ['tool_calls', 'completed'],
      ['message_creation', 'completed'],
    ]);
    const toolStep = allSteps.data[0]!;
    expect(toolStep.step_details).toEqual({
      type: 'tool_calls',
      tool_calls: [{ id: calls[0]!.id, type: 'function', function: { name: 'getCurrentWeather', arguments: calls[0]!.function.arguments, output: '{"temperature": 68, "unit": "F"}' } }],
    });
    expect(allSteps.data[1]!.step_details).toEqual({ type: 'message_creation', message_creation: { message_id: messages.data[0]!.id } });
    const stepUsage = allSteps.data.reduce((n, s) => n + s.usage!.total_tokens, 0);
    expect(stepUsage).toBe(done.usage!.total_tokens);
    expect(await openai.beta.threads.runs.steps.retrieve(toolStep.id, { thread_id: thread.id, run_id: created.id })).toEqual(toolStep);
  });

  it('works with the SDK helpers createAndPoll and submitToolOutputsAndPoll', async () => {
    const model = uniqueModel('neural-chat');
    await llm().script(model, [{ toolCalls: [{ name: 'getCurrentWeather', arguments: '{"location":"San Francisco, CA"}' }] }, { text: 'It is 68F.' }]);
    const assistant = await weatherBot(model);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: "What's the weather in San Francisco?" }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('requires_action');
    const call = run.required_action!.submit_tool_outputs.tool_calls[0]!;
    const done = await openai.beta.threads.runs.submitToolOutputsAndPoll(
      run.id,
      { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: '{"temperature": 68, "unit": "F"}' }] },
      { pollIntervalMs: 100 },
    );
    expect(done.status).toBe('completed');
    const messages = await openai.beta.threads.messages.list(thread.id);
    expect(text(messages.data[0]!)).toBe('It is 68F.');
  });
});

describe('runs', () => {
  it('parallel tool calls: every call must be answered in one submission', async () => {
    const model = uniqueModel('parallel');
    await llm().script(model, [
      { toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }, { name: 'getCurrentWeather', arguments: { location: 'LA' } }] },
      { text: 'SF 68F, LA 75F' },
    ]);
    const assistant = await weatherBot(model);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'SF and LA?' }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    const calls = run.required_action!.submit_tool_outputs.tool_calls;
    expect(calls.map((c) => JSON.parse(c.function.arguments).location)).toEqual(['SF', 'LA']);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);

    const partial = await failure(openai.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: calls[0]!.id, output: '68F' }] }));
    expect(partial.status).toBe(400);
    expect(partial.error).toEqual({ message: `Expected tool outputs for call_ids ['${calls[0]!.id}', '${calls[1]!.id}'], got ['${calls[0]!.id}']`, type: 'invalid_request_error', param: null, code: null });
    const unknown = await failure(
      openai.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: calls[0]!.id, output: 'a' }, { tool_call_id: 'call_nope', output: 'b' }] }),
    );
    expect(unknown.status).toBe(400);
    // nothing was recorded by the refused submissions
    expect((await openai.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).status).toBe('requires_action');
    const step = (await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data[0]!;
    expect(step.status).toBe('in_progress');
    expect((step.step_details as { tool_calls: { function: { output: null } }[] }).tool_calls.map((c) => c.function.output)).toEqual([null, null]);

    const done = await openai.beta.threads.runs.submitToolOutputsAndPoll(
      run.id,
      { thread_id: thread.id, tool_outputs: [{ tool_call_id: calls[1]!.id, output: '75F' }, { tool_call_id: calls[0]!.id, output: '68F' }] },
      { pollIntervalMs: 100 },
    );
    expect(done.status).toBe('completed');
    const second = (await llm().requests(model))[1];
    expect(second.messages.filter((m: { role: string }) => m.role === 'tool')).toEqual([
      { role: 'tool', tool_call_id: calls[0]!.id, content: '68F' },
      { role: 'tool', tool_call_id: calls[1]!.id, content: '75F' },
    ]);

    const again = await failure(openai.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: calls[0]!.id, output: 'x' }] }));
    expect(again.error).toMatchObject({ message: 'Runs in status "completed" do not accept tool outputs.' });
  });

  it('the tool-call loop goes on until the model answers in text', async () => {
    const model = uniqueModel('loop');
    await llm().script(model, [
      { toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }] },
      { toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'LA' } }] },
      { text: 'done' },
    ]);
    const assistant = await weatherBot(model);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'go' }] });
    let run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    for (const location of ['SF', 'LA']) {
      expect(run.status).toBe('requires_action');
      const call = run.required_action!.submit_tool_outputs.tool_calls[0]!;
      expect(JSON.parse(call.function.arguments).location).toBe(location);
      run = await openai.beta.threads.runs.submitToolOutputsAndPoll(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: 'ok' }] }, { pollIntervalMs: 100 });
    }
    expect(run.status).toBe('completed');
    expect((await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc' })).data.map((s) => s.type)).toEqual(['tool_calls', 'tool_calls', 'message_creation']);
  });

  it('createAndRun makes the thread, its messages and the run together; run overrides are echoed', async () => {
    const model = uniqueModel('car');
    await llm().script(model, [{ text: 'hello there' }]);
    const assistant = await weatherBot(uniqueModel('unused'));
    const run = await openai.beta.threads.createAndRun({
      assistant_id: assistant.id,
      model,
      instructions: 'Be brief.',
      tools: [],
      temperature: 0.5,
      metadata: { k: 'v' },
      tool_choice: 'none',
      truncation_strategy: { type: 'last_messages', last_messages: 1 },
      thread: { messages: [{ role: 'user', content: 'first' }, { role: 'user', content: 'second' }], metadata: { t: '1' } },
    });
    expect(run).toMatchObject({ status: 'queued', model, instructions: 'Be brief.', tools: [], temperature: 0.5, metadata: { k: 'v' }, tool_choice: 'none' });
    const done = await waitFor(run.thread_id, run.id, settled);
    expect(done.status).toBe('completed');
    expect((await openai.beta.threads.retrieve(run.thread_id)).metadata).toEqual({ t: '1' });
    const [req] = await llm().requests(model);
    expect(req.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'second' },
    ]);
    expect(req.temperature).toBe(0.5);
    expect(req.tools).toBeUndefined();
  });

  it('createAndRun with an unknown assistant writes nothing', async () => {
    const marker = `car-marker-${Date.now()}`;
    const err = await failure(openai.beta.threads.createAndRun({ assistant_id: 'asst_missing0000000000000000', thread: { messages: [{ role: 'user', content: marker }] } }));
    expect(err.status).toBe(404);
    expect(err.error).toMatchObject({ message: "No assistant found with id 'asst_missing0000000000000000'." });
    expect(await messagesContaining(marker)).toBe(0);
  });

  it('additional_messages and additional_instructions', async () => {
    const model = uniqueModel('additional');
    await llm().script(model, [{ text: 'ok' }]);
    const assistant = await weatherBot(model, { tools: [] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'one' }] });
    const run = await openai.beta.threads.runs.createAndPoll(
      thread.id,
      { assistant_id: assistant.id, additional_instructions: 'Answer in French.', additional_messages: [{ role: 'user', content: 'two' }] },
      { pollIntervalMs: 100 },
    );
    expect(run.status).toBe('completed');
    const [req] = await llm().requests(model);
    expect(req.messages).toEqual([
      { role: 'system', content: 'You are a weather bot. Use the provided functions to answer questions.\n\nAnswer in French.' },
      { role: 'user', content: 'one' },
      { role: 'user', content: 'two' },
    ]);
    expect((await openai.beta.threads.messages.list(thread.id)).data.map(text)).toEqual(['ok', 'two', 'one']);
  });

  it('one active run per thread: no second run, no new message, until it ends', async () => {
    const model = uniqueModel('active');
    await llm().script(model, [{ toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }] }, { text: 'fine' }]);
    const assistant = await weatherBot(model);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'q' }] });
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });

    const second = await failure(openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id }));
    expect(second.status).toBe(400);
    expect(second.error).toEqual({ message: `Thread ${thread.id} already has an active run ${run.id}.`, type: 'invalid_request_error', param: null, code: null });
    const message = await failure(openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'more' }));
    expect(message.error).toMatchObject({ message: `Can't add messages to ${thread.id} while a run ${run.id} is active.` });
    const waiting = await waitFor(thread.id, run.id, (r) => r.status === 'requires_action');
    expect((await failure(openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, additional_messages: [{ role: 'user', content: 'x' }] }))).status).toBe(400);

    await openai.beta.threads.runs.submitToolOutputsAndPoll(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id, output: 'x' }] }, { pollIntervalMs: 100 });
    await openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'now it works' });
    expect((await openai.beta.threads.messages.list(thread.id)).data).toHaveLength(3);
  });

  it('concurrent run creation on one thread: exactly one wins', async () => {
    const model = uniqueModel('race');
    // The winner must still be active while the others take the thread's lock: an instant answer
    // could end it first, and a later create would then rightly succeed.
    await llm().script(model, [{ text: 'a', firstTokenDelayMs: 3000 }]);
    const assistant = await weatherBot(model, { tools: [] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'q' }] });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const listed = (await openai.beta.threads.runs.list(thread.id)).data;
    expect(listed).toHaveLength(1);
    const winner = listed[0]!;

    // Each refused create had started its workflow before its insert found the active run: each
    // such workflow finds no run and ends at once; only the winner's goes on.
    const connection = await Connection.connect({ address: inject('serviceEnv').TEMPORAL_ADDRESS! });
    try {
      const temporal = new TemporalClient({ connection });
      const ofThread = async () => {
        const found: { id: string; status: string }[] = [];
        for await (const w of temporal.workflow.list({ query: `ThreadId = '${thread.id}'` })) found.push({ id: w.workflowId, status: w.status.name });
        return found;
      };
      const deadline = Date.now() + 20_000;
      let found = await ofThread();
      while (Date.now() < deadline && !(found.length === 5 && found.filter((w) => w.id !== winner.id).every((w) => w.status === 'COMPLETED'))) {
        await new Promise((r) => setTimeout(r, 200));
        found = await ofThread();
      }
      expect(found).toHaveLength(5);
      for (const w of found.filter((w) => w.id !== winner.id)) {
        expect(w.status, w.id).toBe('COMPLETED');
        expect(await temporal.workflow.getHandle(w.id).result()).toBe('deleted');
      }
      expect(found.find((w) => w.id === winner.id)?.status).toBe('RUNNING');
    } finally {
      await connection.close();
    }
  });

  it('lists, retrieves and modifies runs; 404s for unknown ids; validates create params', async () => {
    const model = uniqueModel('list');
    await llm().script(model, [{ text: 'a' }, { text: 'b' }]);
    const assistant = await weatherBot(model, { tools: [] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'q' }] });
    const r1 = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    const r2 = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, metadata: { n: '2' } }, { pollIntervalMs: 100 });
    expect((await openai.beta.threads.runs.list(thread.id)).data.map((r) => r.id)).toEqual([r2.id, r1.id]);
    expect((await openai.beta.threads.runs.list(thread.id, { order: 'asc', limit: 1 })).data.map((r) => r.id)).toEqual([r1.id]);
    const modified = await openai.beta.threads.runs.update(r1.id, { thread_id: thread.id, metadata: { note: 'x' } });
    expect(modified).toEqual({ ...r1, metadata: { note: 'x' } });

    expect((await failure(openai.beta.threads.runs.retrieve('run_nope', { thread_id: thread.id }))).error).toMatchObject({ message: "No run found with id 'run_nope'." });
    expect((await failure(openai.beta.threads.runs.list('thread_nope'))).status).toBe(404);
    expect((await failure(openai.beta.threads.runs.create('thread_nope', { assistant_id: assistant.id }))).status).toBe(404);
    expect((await failure(openai.beta.threads.runs.create(thread.id, { assistant_id: 'asst_nope' }))).status).toBe(404);
    const badPrefix = await failure(openai.beta.threads.runs.create(thread.id, { assistant_id: 'abc' }));
    expect(badPrefix.error).toMatchObject({ message: "Invalid 'assistant_id': 'abc'. Expected an ID that begins with 'asst'.", param: 'assistant_id' });
    expect((await failure(openai.beta.threads.runs.create(thread.id, {} as never))).error).toMatchObject({ message: "Missing required parameter: 'assistant_id'." });
    expect((await failure(openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, max_completion_tokens: 10 }))).error).toMatchObject({ param: 'max_completion_tokens' });
    expect((await failure(openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, tools: Array.from({ length: 21 }, (_, i) => ({ type: 'function' as const, function: { name: `f${i}` } })) }))).error).toMatchObject({ param: 'tools' });
    expect((await failure(openai.beta.threads.runs.steps.retrieve('step_nope', { thread_id: thread.id, run_id: r1.id }))).status).toBe(404);
    expect((await openai.beta.threads.runs.list(thread.id)).data).toHaveLength(2);
  });

  it('prompted tool calling for models without native tools (structured output schema)', async () => {
    const model = uniqueModel('neural-chat-7b-v3-2');
    await llm().script(model, [
      { rejectTools: true },
      { json: { type: 'tool_calls', tool_calls: [{ name: 'getCurrentWeather', arguments: { location: 'San Francisco, CA' } }] } },
      { json: { type: 'text', text: 'It is 68F in San Francisco.' } },
    ]);
    const assistant = await weatherBot(model);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: "What's the weather in San Francisco?" }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('requires_action');
    const call = run.required_action!.submit_tool_outputs.tool_calls[0]!;
    expect(call.id).toMatch(/^call_/);
    expect(JSON.parse(call.function.arguments)).toEqual({ location: 'San Francisco, CA' });
    const done = await openai.beta.threads.runs.submitToolOutputsAndPoll(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: '68F' }] }, { pollIntervalMs: 100 });
    expect(done.status).toBe('completed');
    expect(text((await openai.beta.threads.messages.list(thread.id)).data[0]!)).toBe('It is 68F in San Francisco.');
    const requests = await llm().requests(model);
    expect(requests[0].tools).toBeDefined();
    expect(requests[1].tools).toBeUndefined();
    expect(requests[1].response_format.type).toBe('json_schema');
    // the tool output reached the model as text in prompted mode
    expect(JSON.stringify(requests[2].messages)).toContain('68F');
  });

  it('Anthropic models: tool use mapped both ways', async () => {
    const model = uniqueModel('claude-test');
    await llm().script(model, [{ toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }] }, { text: 'Sunny, 68F.' }]);
    const assistant = await weatherBot(model);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'weather?' }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('requires_action');
    const call = run.required_action!.submit_tool_outputs.tool_calls[0]!;
    const done = await openai.beta.threads.runs.submitToolOutputsAndPoll(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: '68F' }] }, { pollIntervalMs: 100 });
    expect(done.status).toBe('completed');
    const [, second] = await llm().requests(model);
    expect(second.system).toContain('weather bot');
    expect(second.messages.at(-1)).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '68F' }] });
    expect(second.messages.at(-2).content[0]).toMatchObject({ type: 'tool_use', id: call.id, name: 'getCurrentWeather', input: { location: 'SF' } });
  });
});

describe('model failures', () => {
  it.each([
    ['a 500 then a 429', [{ error: { status: 500 } }, { error: { status: 429, retryAfterSec: 1 } }]],
    ['a silent model (timeout)', [{ hang: true }]],
  ] as const)('%s: retried with backoff, then the run completes once', async (_label, failures) => {
    const model = uniqueModel('flaky');
    await llm().script(model, [...failures, { text: 'made it' }]);
    const assistant = await weatherBot(model, { tools: [] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'q' }] });
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const done = await waitFor(thread.id, run.id, settled, 60_000);
    expect(done.status).toBe('completed');
    expect(await llm().requests(model)).toHaveLength(failures.length + 1);
    const messages = await openai.beta.threads.messages.list(thread.id);
    expect(messages.data.map(text)).toEqual(['made it', 'q']);
    expect((await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data).toHaveLength(1);
  }, 90_000);

  it('a model that keeps failing fails the run with last_error after the retry budget', async () => {
    const model = uniqueModel('down');
    await llm().script(model, [{ error: { status: 503 } }, { error: { status: 503 } }, { error: { status: 503 } }, { text: 'never used' }]);
    const assistant = await weatherBot(model, { tools: [] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'q' }] });
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const done = await waitFor(thread.id, run.id, settled, 60_000);
    expect(done.status).toBe('failed');
    expect(done.last_error!.code).toBe('server_error');
    expect(done.failed_at).toBeGreaterThanOrEqual(done.created_at);
    expect(await llm().requests(model)).toHaveLength(3); // LLM_MAX_ATTEMPTS=3 in the harness
    // the thread is free again
    await openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'again' });
  }, 90_000);

  it('a rejected prompt (4xx) is not retried: failed with invalid_prompt', async () => {
    const model = uniqueModel('bad-prompt');
    await llm().script(model, [{ error: { status: 400, message: 'context too long' } }, { text: 'never used' }]);
    const assistant = await weatherBot(model, { tools: [] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'q' }] });
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const done = await waitFor(thread.id, run.id, settled);
    expect(done).toMatchObject({ status: 'failed', last_error: { code: 'invalid_prompt' } });
    // The model server's own text is for the operator's log, not for every API user.
    expect(done.last_error!.message).toBe('The model could not process the prompt.');
    expect(await llm().requests(model)).toHaveLength(1);
  });

  it('rate limited to the end: rate_limit_exceeded', async () => {
    const model = uniqueModel('limited');
    await llm().script(model, Array.from({ length: 3 }, () => ({ error: { status: 429 } })));
    const assistant = await weatherBot(model, { tools: [] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'q' }] });
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const done = await waitFor(thread.id, run.id, settled, 60_000);
    expect(done).toMatchObject({ status: 'failed', last_error: { code: 'rate_limit_exceeded' } });
  }, 90_000);
});

describe('cancel', () => {
  it('cancels mid model call: the HTTP request to the model is aborted, run cancelling → cancelled', async () => {
    const model = uniqueModel('slow');
    await llm().script(model, [{ text: 'word '.repeat(400), chunkSize: 5, delayMs: 50 }]);
    const assistant = await weatherBot(model, { tools: [] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'q' }] });
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await waitFor(thread.id, run.id, (r) => r.status === 'in_progress');
    await new Promise((r) => setTimeout(r, 500));
    const asked = Date.now();
    const cancelling = await openai.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    const done = await waitFor(thread.id, run.id, settled);
    // the model call was aborted, not waited out (its 400 chunks take 20 s)
    expect(Date.now() - asked).toBeLessThan(5_000);
    expect(done.status).toBe('cancelled');
    expect(done.cancelled_at).toBeGreaterThanOrEqual(done.created_at);
    const steps = await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    expect(steps.data.map((s) => s.status)).toEqual(['cancelled']);
    const [message] = (await openai.beta.threads.messages.list(thread.id)).data;
    expect(message).toMatchObject({ role: 'assistant', status: 'incomplete', incomplete_details: { reason: 'run_cancelled' } });
    const again = await failure(openai.beta.threads.runs.cancel(run.id, { thread_id: thread.id }));
    expect(again.error).toMatchObject({ message: "Cannot cancel run with status 'cancelled'." });
  });

  it('cancels a run waiting for tool outputs', async () => {
    const model = uniqueModel('cancel-wait');
    await llm().script(model, [{ toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }] }]);
    const assistant = await weatherBot(model);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'q' }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('requires_action');
    await openai.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    const done = await waitFor(thread.id, run.id, settled);
    expect(done).toMatchObject({ status: 'cancelled', required_action: null });
    expect((await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data[0]!.status).toBe('cancelled');
    const late = await failure(
      openai.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: run.required_action!.submit_tool_outputs.tool_calls[0]!.id, output: 'x' }] }),
    );
    expect(late.error).toMatchObject({ message: 'Runs in status "cancelled" do not accept tool outputs.' });
  });
});

describe('durable state', () => {
  it('the run row is what retrieve shows: a plain read of Postgres', async () => {
    const model = uniqueModel('plain');
    await llm().script(model, [{ text: 'x' }]);
    const assistant = await weatherBot(model, { tools: [] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'q' }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    const [row] = await sql<{ status: string; completed_at: number }>('SELECT status, completed_at FROM runs WHERE id = $1', [run.id]);
    expect(row).toEqual({ status: 'completed', completed_at: run.completed_at });
  });
});
