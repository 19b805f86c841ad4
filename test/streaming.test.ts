/**
 * `stream: true` through the official SDK's streaming helpers (docs/wire-contract.md §4), against
 * the real stack: API + worker + Temporal + Postgres NOTIFY, with the scripted model server.
 */
import { APIUserAbortError, BadRequestError, NotFoundError } from 'openai';
import type { AssistantStream } from 'openai/lib/AssistantStream';
import type { AssistantStreamEvent } from 'openai/resources/beta/assistants';
import type { Message, MessageDeltaEvent, TextContentBlock } from 'openai/resources/beta/threads/messages';
import type { Run } from 'openai/resources/beta/threads/runs/runs';
import type { FunctionToolCallDelta, RunStep, RunStepDeltaEvent, ToolCallDeltaObject, ToolCallsStepDetails } from 'openai/resources/beta/threads/runs/steps';
import { describe, expect, inject, it } from 'vitest';
import { client, failure, llm, uniqueModel } from './support/client.js';
import type { Reply } from './support/scripted-llm.js';

const openai = client();

const TOOLS = [
  { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } } },
];

/** An assistant on a model of the test's own, whose replies are scripted. */
async function assistantWith(replies: Reply[], tools: typeof TOOLS | [] = []) {
  const model = uniqueModel('stream');
  await llm().script(model, replies);
  const assistant = await openai.beta.assistants.create({ model, tools });
  return { model, assistant };
}

/**
 * Records every raw event (a copy as it arrived: the SDK accumulates deltas into the objects it
 * hands out) and the text deltas the SDK reports.
 */
function record(stream: AssistantStream) {
  const events: AssistantStreamEvent[] = [];
  const text = { deltas: [] as string[], created: 0, lastSnapshot: '' };
  stream.on('event', (e) => events.push(structuredClone(e)));
  stream.on('textCreated', () => text.created++);
  stream.on('textDelta', (d, snapshot) => {
    text.deltas.push(d.value ?? '');
    text.lastSnapshot = snapshot.value;
  });
  return { events, text, names: () => events.map((e) => e.event) };
}

/** Consecutive repeats of a name collapsed to `name×`, so orders can be compared exactly. */
function collapse(names: string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    const rep = `${n}×`;
    if (out.at(-1) === n || out.at(-1) === rep) out[out.length - 1] = rep;
    else out.push(n);
  }
  return out;
}

const textOf = (m: Message) => (m.content[0] as TextContentBlock).text.value;
const dataOf = <T>(events: AssistantStreamEvent[], name: string): T[] => events.filter((e) => e.event === name).map((e) => e.data as T);
const one = <T>(events: AssistantStreamEvent[], name: string): T => {
  const found = dataOf<T>(events, name);
  expect(found, `exactly one ${name}`).toHaveLength(1);
  return found[0]!;
};

/** Words enough for a long answer: `count` tokens of a few characters each. */
const words = (count: number, tag = 'tok') => Array.from({ length: count }, (_, i) => `${tag}${i}`).join(' ');

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const PLAIN_ORDER = [
  'thread.run.created',
  'thread.run.queued',
  'thread.run.in_progress',
  'thread.run.step.created',
  'thread.run.step.in_progress',
  'thread.message.created',
  'thread.message.in_progress',
  'thread.message.delta×',
  'thread.message.completed',
  'thread.run.step.completed',
  'thread.run.completed',
];

describe('streaming a plain text run', () => {
  for (const helper of ['stream', 'createAndStream'] as const) {
    it(`runs.${helper}: exact event order, snapshots, deltas, final run and messages`, async () => {
      const answer = 'The quick brown fox jumps over the lazy dog, twice over.';
      const { model, assistant } = await assistantWith([{ text: answer, chunkSize: 5 }]);
      const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Say something.' }] });

      const stream = openai.beta.threads.runs[helper](thread.id, { assistant_id: assistant.id });
      const { events, text, names } = record(stream);
      await stream.done();

      expect(collapse(names())).toEqual(PLAIN_ORDER);
      const deltas = dataOf<MessageDeltaEvent>(events, 'thread.message.delta');
      expect(deltas).toHaveLength(Math.ceil(answer.length / 5));

      // snapshots
      const created = one<Run>(events, 'thread.run.created');
      expect(created).toMatchObject({ object: 'thread.run', thread_id: thread.id, assistant_id: assistant.id, status: 'queued', model, started_at: null, usage: null });
      expect(created.expires_at).toBe(created.created_at + 600);
      expect(one<Run>(events, 'thread.run.queued')).toMatchObject({ id: created.id, status: 'queued' });
      const inProgress = one<Run>(events, 'thread.run.in_progress');
      expect(inProgress).toMatchObject({ id: created.id, status: 'in_progress', usage: null });
      expect(inProgress.started_at).toEqual(expect.any(Number));

      const stepCreated = one<RunStep>(events, 'thread.run.step.created');
      const messageCreated = one<Message>(events, 'thread.message.created');
      expect(stepCreated).toMatchObject({
        object: 'thread.run.step',
        run_id: created.id,
        thread_id: thread.id,
        type: 'message_creation',
        status: 'in_progress',
        step_details: { type: 'message_creation', message_creation: { message_id: messageCreated.id } },
        usage: null,
      });
      expect(one<RunStep>(events, 'thread.run.step.in_progress')).toMatchObject({ id: stepCreated.id, status: 'in_progress' });
      expect(messageCreated).toMatchObject({ object: 'thread.message', role: 'assistant', status: 'in_progress', content: [], run_id: created.id, assistant_id: assistant.id, thread_id: thread.id });
      expect(one<Message>(events, 'thread.message.in_progress')).toMatchObject({ id: messageCreated.id, status: 'in_progress' });

      // delta shapes: annotations only on the first chunk of the part, nothing re-sent
      expect(deltas[0]).toEqual({ id: messageCreated.id, object: 'thread.message.delta', delta: { content: [{ index: 0, type: 'text', text: { value: answer.slice(0, 5), annotations: [] } }] } });
      for (const d of deltas.slice(1)) {
        expect(d.id).toBe(messageCreated.id);
        expect(d.delta.content).toEqual([{ index: 0, type: 'text', text: { value: expect.any(String) } }]);
      }
      expect(deltas.map((d) => (d.delta.content![0] as { text: { value: string } }).text.value).join('')).toBe(answer);

      const completedMessage = one<Message>(events, 'thread.message.completed');
      expect(completedMessage).toMatchObject({ id: messageCreated.id, status: 'completed', content: [{ type: 'text', text: { value: answer, annotations: [] } }] });
      expect(completedMessage.completed_at).toEqual(expect.any(Number));
      const stepCompleted = one<RunStep>(events, 'thread.run.step.completed');
      expect(stepCompleted).toMatchObject({ id: stepCreated.id, status: 'completed' });
      expect(stepCompleted.usage?.total_tokens).toBeGreaterThan(0);

      // SDK-derived results
      expect(text.created).toBe(1);
      expect(text.deltas.join('')).toBe(answer);
      expect(text.lastSnapshot).toBe(answer);
      const run = await stream.finalRun();
      expect(run).toMatchObject({ id: created.id, status: 'completed', expires_at: null, required_action: null, last_error: null });
      expect(run.completed_at).toEqual(expect.any(Number));
      expect(run.usage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });
      expect(run.usage!.completion_tokens).toBeGreaterThan(0);
      expect(run.usage!.total_tokens).toBe(run.usage!.prompt_tokens + run.usage!.completion_tokens);
      const finalMessages = await stream.finalMessages();
      expect(finalMessages).toHaveLength(1);
      expect(textOf(finalMessages[0]!)).toBe(answer);

      // a client that polls sees the same result
      expect(await openai.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).toEqual(run);
      const listed = await openai.beta.threads.messages.list(thread.id, { order: 'asc' });
      expect(listed.data.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(listed.data[1]).toEqual(finalMessages[0]);
      const steps = await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
      expect(steps.data).toEqual([stepCompleted]);
      expect((await llm().requests(model)).length).toBe(1);
    });
  }

  it('raw wire: text/event-stream, one-line JSON frames, ends with event: done / data: [DONE]', async () => {
    const answer = 'Raw frames, please.';
    const { assistant } = await assistantWith([{ text: answer, chunkSize: 3 }]);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const res = await fetch(`${inject('apiUrl')}/v1/threads/${thread.id}/runs`, {
      method: 'POST',
      headers: { authorization: 'Bearer EMPTY', 'content-type': 'application/json', 'openai-beta': 'assistants=v2' },
      body: JSON.stringify({ assistant_id: assistant.id, stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toMatch(/\S/);
    const body = await res.text();
    expect(body.endsWith('event: done\ndata: [DONE]\n\n')).toBe(true);

    const frames = body.split('\n\n').filter((f) => f !== '' && !f.startsWith(':'));
    const last = frames.pop();
    expect(last).toBe('event: done\ndata: [DONE]');
    const names: string[] = [];
    for (const frame of frames) {
      const m = /^event: ([a-z._]+)\ndata: (.+)$/.exec(frame);
      expect(m, `frame ${JSON.stringify(frame)}`).not.toBeNull();
      names.push(m![1]!);
      const data = JSON.parse(m![2]!);
      expect(typeof data).toBe('object');
    }
    expect(collapse(names)).toEqual(PLAIN_ORDER);
    expect(body.indexOf('event: done')).toBe(body.length - 'event: done\ndata: [DONE]\n\n'.length);
  });

  it('a 1,000-token answer arrives whole and in order over hundreds of deltas', async () => {
    const answer = words(1000);
    const { assistant } = await assistantWith([{ text: answer, chunkSize: 16 }]);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Count to a thousand.' }] });
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const { events, text, names } = record(stream);
    const run = await stream.finalRun();

    expect(run.status).toBe('completed');
    expect(collapse(names())).toEqual(PLAIN_ORDER);
    const deltas = dataOf<MessageDeltaEvent>(events, 'thread.message.delta');
    expect(deltas.length).toBe(Math.ceil(answer.length / 16));
    expect(deltas.length).toBeGreaterThan(300);
    expect(text.deltas.length).toBe(deltas.length);
    expect(text.deltas.join('')).toBe(answer);
    const [message] = await stream.finalMessages();
    expect(textOf(message!)).toBe(answer);
    const listed = await openai.beta.threads.messages.list(thread.id, { limit: 1 });
    expect(listed.data[0]).toEqual(message);
  });
});

describe('streaming tool calls', () => {
  it('createAndRunStream ends at requires_action; submitToolOutputsStream continues to completion', async () => {
    const answer = 'It is sunny in Paris and it is noon there.';
    const { model, assistant } = await assistantWith(
      [
        {
          toolCalls: [
            { name: 'get_weather', arguments: { city: 'Paris' } },
            { name: 'get_time', arguments: { tz: 'Europe/Paris' } },
          ],
          chunkSize: 5,
        },
        { text: answer, chunkSize: 4 },
      ],
      TOOLS,
    );

    // 1. the run up to requires_action
    const stream = openai.beta.threads.createAndRunStream({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'Weather and time in Paris?' }] } });
    const { events, names } = record(stream);
    const toolCallsCreated: string[] = [];
    const toolCallDeltas: FunctionToolCallDelta[] = [];
    const toolCallsDone: string[] = [];
    stream.on('toolCallCreated', (c) => toolCallsCreated.push(c.id));
    stream.on('toolCallDelta', (d) => toolCallDeltas.push(d as FunctionToolCallDelta));
    stream.on('toolCallDone', (c) => toolCallsDone.push(c.id));
    await stream.done();

    // contract §4 (d) then (b): the thread first; the tool step is not completed in this stream
    expect(collapse(names())).toEqual(['thread.created', ...PLAIN_ORDER.slice(0, 5), 'thread.run.step.delta×', 'thread.run.requires_action']);
    const thread = one<{ id: string; object: string }>(events, 'thread.created');
    expect(thread).toMatchObject({ object: 'thread', metadata: {} });
    const created = one<Run>(events, 'thread.run.created');
    expect(created).toMatchObject({ thread_id: thread.id, status: 'queued' });
    const step = one<RunStep>(events, 'thread.run.step.created');
    expect(step).toMatchObject({ run_id: created.id, type: 'tool_calls', status: 'in_progress', step_details: { type: 'tool_calls', tool_calls: [] } });

    // step deltas: the first chunk of each call carries id/name/empty arguments/null output, later ones only fragments
    const stepDeltas = dataOf<RunStepDeltaEvent>(events, 'thread.run.step.delta');
    expect(stepDeltas.length).toBeGreaterThan(4);
    const calls: { id?: string; name?: string; args: string; firsts: number }[] = [];
    for (const d of stepDeltas) {
      expect(d).toMatchObject({ id: step.id, object: 'thread.run.step.delta' });
      const details = d.delta.step_details as ToolCallDeltaObject;
      expect(details.type).toBe('tool_calls');
      for (const c of details.tool_calls as FunctionToolCallDelta[]) {
        expect(Number.isInteger(c.index)).toBe(true);
        const acc = (calls[c.index] ??= { args: '', firsts: 0 });
        if (c.id !== undefined) {
          acc.firsts++;
          expect(c).toEqual({ index: c.index, id: expect.stringMatching(/^call_/), type: 'function', function: { name: expect.any(String), arguments: '', output: null } });
          acc.id = c.id;
          acc.name = c.function!.name;
        } else {
          expect(c).toEqual({ index: c.index, type: 'function', function: { arguments: expect.any(String) } });
          acc.args += c.function!.arguments;
        }
      }
    }
    expect(calls.map((c) => ({ name: c.name, args: JSON.parse(c.args), firsts: c.firsts }))).toEqual([
      { name: 'get_weather', args: { city: 'Paris' }, firsts: 1 },
      { name: 'get_time', args: { tz: 'Europe/Paris' }, firsts: 1 },
    ]);
    expect(calls[0]!.id).not.toBe(calls[1]!.id);

    // SDK tool-call events and the final run
    expect(toolCallsCreated).toEqual([calls[0]!.id, calls[1]!.id]);
    expect(toolCallDeltas.length).toBeGreaterThan(0);
    expect(toolCallDeltas.map((d) => d.function?.arguments ?? '').join('')).toBe(calls[0]!.args + calls[1]!.args);
    expect(toolCallsDone).toEqual([calls[0]!.id, calls[1]!.id]);
    const waiting = await stream.finalRun();
    expect(waiting).toMatchObject({ id: created.id, status: 'requires_action', expires_at: created.expires_at });
    const required = waiting.required_action!.submit_tool_outputs.tool_calls;
    expect(required.map((c) => ({ id: c.id, type: c.type, name: c.function.name, args: JSON.parse(c.function.arguments) }))).toEqual([
      { id: calls[0]!.id, type: 'function', name: 'get_weather', args: { city: 'Paris' } },
      { id: calls[1]!.id, type: 'function', name: 'get_time', args: { tz: 'Europe/Paris' } },
    ]);
    expect(waiting.usage?.total_tokens).toBeGreaterThan(0);
    const [stepSnapshot] = await stream.finalRunSteps();
    expect(stepSnapshot).toMatchObject({ id: step.id, status: 'in_progress' });
    expect((stepSnapshot!.step_details as ToolCallsStepDetails).tool_calls).toHaveLength(2);
    expect(await openai.beta.threads.runs.retrieve(created.id, { thread_id: thread.id })).toEqual(waiting);

    // 2. the continuation stream
    const outputs = [
      { tool_call_id: calls[0]!.id!, output: '{"sky":"sunny"}' },
      { tool_call_id: calls[1]!.id!, output: '12:00' },
    ];
    const cont = openai.beta.threads.runs.submitToolOutputsStream(created.id, { thread_id: thread.id, tool_outputs: outputs });
    const second = record(cont);
    await cont.done();

    // contract §4 (c): the old step completes, the run is queued again, then as in (a)
    expect(collapse(second.names())).toEqual(['thread.run.step.completed', 'thread.run.queued', ...PLAIN_ORDER.slice(2)]);
    expect(second.names()).not.toContain('thread.run.created');
    const [toolStepDone, messageStepDone] = dataOf<RunStep>(second.events, 'thread.run.step.completed');
    expect(toolStepDone).toMatchObject({ id: step.id, type: 'tool_calls', status: 'completed' });
    expect(toolStepDone!.usage?.total_tokens).toBeGreaterThan(0);
    expect((toolStepDone!.step_details as ToolCallsStepDetails).tool_calls).toEqual([
      { id: calls[0]!.id, type: 'function', function: { name: 'get_weather', arguments: calls[0]!.args, output: '{"sky":"sunny"}' } },
      { id: calls[1]!.id, type: 'function', function: { name: 'get_time', arguments: calls[1]!.args, output: '12:00' } },
    ]);
    expect(one<Run>(second.events, 'thread.run.queued')).toMatchObject({ id: created.id, status: 'queued', required_action: null });
    expect(messageStepDone).toMatchObject({ type: 'message_creation', status: 'completed' });
    expect(second.text.deltas.join('')).toBe(answer);

    const done = await cont.finalRun();
    expect(done).toMatchObject({ id: created.id, status: 'completed', expires_at: null, required_action: null });
    expect(done.usage!.total_tokens).toBeGreaterThan(waiting.usage!.total_tokens);
    const finalMessages = await cont.finalMessages();
    expect(finalMessages.map(textOf)).toEqual([answer]);

    // the model saw the outputs on its second call
    const requests = await llm().requests(model);
    expect(requests).toHaveLength(2);
    const toolMessages = (requests[1].messages as { role: string; tool_call_id?: string; content: string }[]).filter((m) => m.role === 'tool');
    expect(toolMessages.map((m) => [m.tool_call_id, m.content])).toEqual([
      [calls[0]!.id, '{"sky":"sunny"}'],
      [calls[1]!.id, '12:00'],
    ]);
    const listed = await openai.beta.threads.messages.list(thread.id, { order: 'asc' });
    expect(listed.data.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(listed.data[1]).toEqual(finalMessages[0]);
  });
});

describe('errors before streaming are plain JSON errors', () => {
  it('a tool-output stream for an unknown run is a 404, whatever the id holds; streams still work after', async () => {
    const thread = await openai.beta.threads.create();
    const runId = 'run_x"; SELECT pg_sleep(5); --';
    const res = await fetch(`${inject('apiUrl')}/v1/threads/${thread.id}/runs/${encodeURIComponent(runId)}/submit_tool_outputs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer EMPTY' },
      body: JSON.stringify({ tool_outputs: [{ tool_call_id: 'call_a', output: 'x' }], stream: true }),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ error: { message: `No run found with id '${runId}'.` } });

    const { assistant } = await assistantWith([{ text: 'still streaming' }]);
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const [message] = await stream.finalMessages();
    expect(textOf(message!)).toBe('still streaming');
  });

  it('unknown thread: the SDK throws NotFoundError (404); the wire answer is JSON', async () => {
    const { assistant } = await assistantWith([]);
    const id = 'thread_doesnotexist000000000000';
    const stream = openai.beta.threads.runs.stream(id, { assistant_id: assistant.id });
    const events: string[] = [];
    stream.on('event', (e) => events.push(e.event));
    const err = await failure(stream.done());
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.status).toBe(404);
    expect(err.error).toMatchObject({ message: `No thread found with id '${id}'.`, type: 'invalid_request_error' });
    expect(events).toEqual([]);

    const res = await fetch(`${inject('apiUrl')}/v1/threads/${id}/runs`, {
      method: 'POST',
      headers: { authorization: 'Bearer EMPTY', 'content-type': 'application/json', 'openai-beta': 'assistants=v2' },
      body: JSON.stringify({ assistant_id: assistant.id, stream: true }),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ error: { message: `No thread found with id '${id}'.` } });
  });

  it('a second stream while a run is active: 400 "Thread … already has an active run …"', async () => {
    const { assistant } = await assistantWith([{ text: words(20), chunkSize: 4, delayMs: 30 }]);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const first = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });

    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const events: string[] = [];
    stream.on('event', (e) => events.push(e.event));
    const err = await failure(stream.done());
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ message: `Thread ${thread.id} already has an active run ${first.id}.`, type: 'invalid_request_error', param: null, code: null });
    expect(events).toEqual([]);

    const done = await until('the first run to complete', () => openai.beta.threads.runs.retrieve(first.id, { thread_id: thread.id }), (r) => r.status === 'completed');
    expect(done.status).toBe('completed');
    const runs = await openai.beta.threads.runs.list(thread.id);
    expect(runs.data.map((r) => r.id)).toEqual([first.id]);
  });
});

describe('leaving or ending a stream early', () => {
  it('a client that disconnects mid-stream stops only its stream: the run still completes', async () => {
    const answer = words(60, 'slow');
    const { assistant } = await assistantWith([{ text: answer, chunkSize: 6, delayMs: 25 }]);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Take your time.' }] });
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const { text } = record(stream);
    let runId: string | undefined;
    stream.on('event', (e) => {
      if (e.event === 'thread.run.created') runId = e.data.id;
    });
    stream.on('textDelta', () => {
      if (text.deltas.length === 3) stream.abort();
    });
    const err = await stream.done().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(APIUserAbortError);
    expect(stream.aborted).toBe(true);
    expect(text.deltas.length).toBeLessThan(Math.ceil(answer.length / 6));
    expect(runId).toMatch(/^run_/);

    const run = await until('the run to finish', () => openai.beta.threads.runs.retrieve(runId!, { thread_id: thread.id }), (r) => !['queued', 'in_progress'].includes(r.status));
    expect(run.status).toBe('completed');
    const [message] = (await openai.beta.threads.messages.list(thread.id, { limit: 1 })).data;
    expect(message).toMatchObject({ role: 'assistant', status: 'completed', run_id: runId });
    expect(textOf(message!)).toBe(answer);
  });

  it('cancel mid-stream: message incomplete, step cancelled, run cancelled, then the stream ends', async () => {
    const chunks = 60;
    const delayMs = 80;
    const answer = 'abcd'.repeat(chunks);
    const { assistant } = await assistantWith([{ text: answer, chunkSize: 4, delayMs }]);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Go on and on.' }] });
    const started = Date.now();
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const { events, text, names } = record(stream);
    let cancelled: Promise<Run> | undefined;
    stream.on('textDelta', () => {
      if (text.deltas.length === 3) cancelled = openai.beta.threads.runs.cancel(stream.currentRun()!.id, { thread_id: thread.id });
    });
    await stream.done();
    const cancelResponse = await cancelled!;
    expect(['cancelling', 'cancelled']).toContain(cancelResponse.status);

    // thread.run.cancelling may come (at any point after the cancel), and deltas may still arrive until the run is told
    const withoutCancelling = collapse(names().filter((n) => n !== 'thread.run.cancelling'));
    // contract §4 (e): the open message, then its step, then the run are closed
    expect(withoutCancelling).toEqual([...PLAIN_ORDER.slice(0, 8), 'thread.message.incomplete', 'thread.run.step.cancelled', 'thread.run.cancelled']);
    expect(names().filter((n) => n === 'thread.run.cancelling').length).toBeLessThanOrEqual(1);
    expect(names().at(-1)).toBe('thread.run.cancelled');
    expect(text.deltas.length).toBeLessThan(chunks);

    const streamed = text.deltas.join('');
    expect(answer.startsWith(streamed)).toBe(true);
    const incomplete = one<Message>(events, 'thread.message.incomplete');
    expect(incomplete).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'run_cancelled' } });
    expect(incomplete.incomplete_at).toEqual(expect.any(Number));
    const stepCancelled = one<RunStep>(events, 'thread.run.step.cancelled');
    expect(stepCancelled).toMatchObject({ type: 'message_creation', status: 'cancelled' });
    expect(stepCancelled.cancelled_at).toEqual(expect.any(Number));

    const run = await stream.finalRun();
    expect(run.status).toBe('cancelled');
    expect(run.cancelled_at).toEqual(expect.any(Number));
    expect(await openai.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).toEqual(run);

    const [finalMessage] = await stream.finalMessages();
    expect(finalMessage).toMatchObject({ id: incomplete.id, status: 'incomplete' });

    // Once the scripted answer would have ended, nothing has reopened or completed it.
    await new Promise((r) => setTimeout(r, Math.max(0, started + chunks * delayMs + 1000 - Date.now())));
    const [listed] = (await openai.beta.threads.messages.list(thread.id, { limit: 1 })).data;
    expect(listed).toMatchObject({ id: incomplete.id, status: 'incomplete', incomplete_details: { reason: 'run_cancelled' } });
    const steps = await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    expect(steps.data.map((s) => s.status)).toEqual(['cancelled']);
    expect((await openai.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).status).toBe('cancelled');

    // The partial answer the client saw is what the message keeps: in the message.incomplete payload
    // (the SDK replaces its snapshot by it, so finalMessages() shows it) and in the stored message.
    const partial = [{ type: 'text', text: { value: streamed, annotations: [] } }];
    expect(listed!.content).toEqual(partial);
    expect(finalMessage!.content).toEqual(partial);
  });
});

describe('model failures while streaming', () => {
  it('a permanent model error (400) ends the stream with thread.run.failed, code invalid_prompt', async () => {
    const { model, assistant } = await assistantWith([{ error: { status: 400, message: 'context too long' } }]);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const { events, names } = record(stream);
    await stream.done();

    expect(names()).toEqual(['thread.run.created', 'thread.run.queued', 'thread.run.in_progress', 'thread.run.failed']);
    const run = await stream.finalRun();
    expect(run).toMatchObject({ status: 'failed', last_error: { code: 'invalid_prompt', message: expect.any(String) } });
    expect(run.failed_at).toEqual(expect.any(Number));
    expect(one<Run>(events, 'thread.run.failed')).toEqual(run);
    expect(await openai.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).toEqual(run);
    // not retried
    expect(await llm().requests(model)).toHaveLength(1);
  });

  it('a retryable model error (500) then an answer still completes in one stream', async () => {
    const answer = 'Second time lucky.';
    const { model, assistant } = await assistantWith([{ error: { status: 500 } }, { text: answer, chunkSize: 4 }]);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const { text, names } = record(stream);
    await stream.done();

    expect(collapse(names())).toEqual(PLAIN_ORDER);
    const run = await stream.finalRun();
    expect(run).toMatchObject({ status: 'completed', last_error: null });
    expect(text.deltas.join('')).toBe(answer);
    expect((await stream.finalMessages()).map(textOf)).toEqual([answer]);
    expect(await llm().requests(model)).toHaveLength(2);
  });

  it('a model that dies mid-answer on every attempt: message incomplete (run_failed), step failed, run failed', async () => {
    const dying: Reply = { dieAfterChunks: 3, text: 'Half an answer that never ends.' };
    const partial = 'Half an answ'; // 3 chunks of the scripted server's default 4 characters
    const { model, assistant } = await assistantWith([dying, dying, dying]);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const { events, names } = record(stream);
    await stream.done();

    const order = collapse(names());
    expect(order.slice(0, 7)).toEqual(PLAIN_ORDER.slice(0, 7));
    expect(order.slice(-3)).toEqual(['thread.message.incomplete', 'thread.run.step.failed', 'thread.run.failed']);
    // each attempt's message is closed (incomplete, with what it streamed) before the next opens
    const created = dataOf<Message>(events, 'thread.message.created').map((m) => m.id);
    const closed = dataOf<Message>(events, 'thread.message.incomplete');
    expect(created).toHaveLength(3);
    expect(closed.map((m) => m.id)).toEqual(created);
    for (const m of closed) expect(m).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'run_failed' } });
    expect(dataOf<RunStep>(events, 'thread.run.step.failed').map((s) => s.status)).toEqual(['failed', 'failed', 'failed']);

    const run = await stream.finalRun();
    expect(run).toMatchObject({ status: 'failed', last_error: { code: 'server_error' } });
    // the last attempt's partial text is kept in the closing snapshot and in Postgres
    expect(textOf(closed.at(-1)!)).toBe(partial);
    const stored = (await openai.beta.threads.messages.list(thread.id)).data;
    expect(stored.map((m) => [m.role, m.status])).toEqual([['assistant', 'incomplete'], ['user', 'completed']]);
    expect(textOf(stored[0]!)).toBe(partial);
    expect((await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data.map((s) => s.status)).toEqual(['failed']);
    expect(await llm().requests(model)).toHaveLength(3);
  });

  it('a model that dies mid-answer once and then answers: the streamed text equals the final message', async () => {
    const answer = 'A complete answer at last.';
    const { model, assistant } = await assistantWith([{ dieAfterChunks: 3, text: answer }, { text: answer, chunkSize: 4 }]);
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const { text, names } = record(stream);
    await stream.done();

    // the dead attempt's message and step are closed for the stream, then the answer comes anew
    expect(collapse(names())).toEqual([
      ...PLAIN_ORDER.slice(0, 8),
      'thread.message.incomplete',
      'thread.run.step.failed',
      ...PLAIN_ORDER.slice(3),
    ]);
    const run = await stream.finalRun();
    expect(run.status).toBe('completed');
    const messages = await stream.finalMessages();
    expect(messages.map((m) => m.status)).toEqual(['incomplete', 'completed']);
    expect(textOf(messages[1]!)).toBe(answer);
    expect(await llm().requests(model)).toHaveLength(2);
    // no text was sent twice into one message: the answer's own deltas add up to the answer
    expect(text.lastSnapshot).toBe(answer);
    expect(text.created).toBe(2);
    // what a client that polls sees: one answer, one step
    const stored = (await openai.beta.threads.messages.list(thread.id)).data;
    expect(stored.map((m) => m.role)).toEqual(['assistant', 'user']);
    expect(textOf(stored[0]!)).toBe(answer);
    expect((await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })).data.map((s) => s.status)).toEqual(['completed']);
  });
});
