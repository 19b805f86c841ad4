/**
 * code_interpreter through the official SDK: the scripted model calls the tool, the worker runs
 * the code in the thread's sandboxed session (src/sandbox), and the model's next turn reads the
 * outputs. Sandbox escapes in detail: sandbox.test.ts.
 */
import type { CodeInterpreterToolCall, ToolCall } from 'openai/resources/beta/threads/runs/steps';
import { describe, expect, inject, it } from 'vitest';
import { client, llm, uniqueModel } from './support/client.js';

const openai = client();

/** A thread whose runs use code_interpreter, with the model scripted to run each `code` then answer. */
async function scripted(codes: string[]) {
  const model = uniqueModel('code');
  await llm().script(model, codes.flatMap((code) => [{ toolCalls: [{ name: 'code_interpreter', arguments: { code } }] }, { text: 'Done.' }]));
  const assistant = await openai.beta.assistants.create({ model, tools: [{ type: 'code_interpreter' }] });
  const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'compute' }] });
  return { model, assistant, thread };
}

async function codeCall(threadId: string, runId: string): Promise<CodeInterpreterToolCall> {
  const [step] = (await openai.beta.threads.runs.steps.list(runId, { thread_id: threadId, order: 'asc' })).data;
  const calls = step!.step_details.type === 'tool_calls' ? step!.step_details.tool_calls : [];
  return calls[0] as CodeInterpreterToolCall;
}

describe('code_interpreter through the SDK', () => {
  it('runs the code, records input and logs, and feeds them to the model', async () => {
    const { model, assistant, thread } = await scripted(['x = 6 * 7\nprint(x)']);
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    const call = await codeCall(thread.id, run.id);
    expect(call).toMatchObject({ type: 'code_interpreter', code_interpreter: { input: 'x = 6 * 7\nprint(x)', outputs: [{ type: 'logs', logs: '42\n' }] } });
    const [first, second] = await llm().requests(model);
    expect(first.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['code_interpreter']);
    expect(second.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: call.id, content: '42\n' });
  });

  it('an exception is output the model reads, and the run completes', async () => {
    const { model, assistant, thread } = await scripted(['{}["missing"]']);
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    const logs = 'Traceback (most recent call last):\n  File "<cell 1>", line 1, in <module>\n    {}["missing"]\n     ~~^^^^^^^^^^^\nKeyError: \'missing\'\n';
    expect((await codeCall(thread.id, run.id)).code_interpreter.outputs).toEqual([{ type: 'logs', logs }]);
    expect((await llm().requests(model))[1].messages.at(-1).content).toBe(logs);
  });

  it('keeps the session between two runs of one thread', async () => {
    const { assistant, thread } = await scripted(['import pandas as pd\ndf = pd.DataFrame({"a": [1, 2, 3]})', 'df.a.sum()']);
    await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    await openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'and the sum?' });
    const second = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(second.status).toBe('completed');
    expect((await codeCall(thread.id, second.id)).code_interpreter.outputs).toEqual([{ type: 'logs', logs: 'np.int64(6)\n' }]);
  });

  it('streams the code as input fragments, then the outputs, in OpenAI order', async () => {
    const code = 'for i in range(3):\n    print("line", i)';
    const { assistant, thread } = await scripted([code]);
    const events: string[] = [];
    const done: ToolCall[] = [];
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    stream.on('event', (e) => {
      const c = e.event === 'thread.run.step.delta' ? (e.data.delta.step_details as { tool_calls?: CodeInterpreterToolCall[] }).tool_calls?.[0] : undefined;
      events.push(c ? (c.id ? 'delta:opening' : c.code_interpreter.outputs ? 'delta:outputs' : 'delta:input') : e.event);
    });
    stream.on('toolCallDone', (c) => done.push(c));
    await stream.finalRun();
    // Runs of input fragments and of text deltas count once.
    const compact = events.filter((e, i) => !(['delta:input', 'thread.message.delta'].includes(e) && events[i - 1] === e));
    expect(compact).toEqual([
      'thread.run.created', 'thread.run.queued', 'thread.run.in_progress',
      'thread.run.step.created', 'thread.run.step.in_progress', 'delta:opening', 'delta:input', 'delta:outputs', 'thread.run.step.completed',
      'thread.run.step.created', 'thread.run.step.in_progress', 'thread.message.created', 'thread.message.in_progress',
      'thread.message.delta', 'thread.message.completed', 'thread.run.step.completed', 'thread.run.completed',
    ]);
    // The SDK's own accumulation of the deltas is the whole call.
    expect(done).toEqual([{ index: 0, id: expect.stringMatching(/^call_/), type: 'code_interpreter', code_interpreter: { input: code, outputs: [{ index: 0, type: 'logs', logs: 'line 0\nline 1\nline 2\n' }] } }]);
  });

  it('escapes through a run are contained and the API stays healthy', async () => {
    const pg = new URL(inject('databaseUrl'));
    const { assistant, thread } = await scripted([`import socket\ntry:\n    socket.create_connection(("${pg.hostname}", ${pg.port}))\nexcept OSError as e:\n    print(e)\nprint(open("/etc/shadow").read())`]);
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    const [out] = (await codeCall(thread.id, run.id)).code_interpreter.outputs;
    expect(out).toMatchObject({ type: 'logs' });
    const logs = (out as { logs: string }).logs;
    expect(logs.startsWith('[Errno 1] Operation not permitted\nTraceback')).toBe(true);
    expect(logs).toContain("FileNotFoundError: [Errno 2] No such file or directory: '/etc/shadow'");
    expect((await fetch(`${inject('apiUrl')}/health`)).status).toBe(200);
  });
});
