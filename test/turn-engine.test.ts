/**
 * The turn engine's tool dispatch, end to end: a worker in this process whose registry holds a
 * server tool defined here (production has none yet), runs started through our API on the
 * worker's own task queue, and the scripted model calling the tool. A server tool's call runs
 * as its own activity and its result reaches the next model turn with no client round trip; a
 * turn that mixes it with a function call runs it first, then asks the client.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import OpenAI from 'openai';
import type { CodeInterpreterToolCall } from 'openai/resources/beta/threads/runs/steps';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../activities/index.js';
import { ToolRegistry, type ServerTool } from '../activities/tools/registry.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { log } from '../src/log.js';
import { objectStore } from '../src/storage.js';
import { llm, uniqueModel } from './support/client.js';
import { weatherTool } from './support/runs.js';
import { startService, type Service } from './support/services.js';

/** Evaluates nothing: it answers with the code it was given, so the test can see it went round. */
const echoInterpreter: ServerTool = {
  type: 'code_interpreter',
  spec: { name: 'code_interpreter', parameters: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] } },
  timeoutMs: 10_000,
  pending: (call) => ({ id: call.id, type: 'code_interpreter', code_interpreter: { input: (JSON.parse(call.arguments) as { code: string }).code, outputs: [] } }),
  async execute(call, ctx) {
    const c = call as CodeInterpreterToolCall;
    ctx.heartbeat();
    return { ...c, code_interpreter: { ...c.code_interpreter, outputs: [{ type: 'logs', logs: `echo: ${c.code_interpreter.input} (run ${ctx.run.id})` }] } };
  },
  transcript(call) {
    const c = call as CodeInterpreterToolCall;
    const logs = c.code_interpreter.outputs.map((o) => (o.type === 'logs' ? o.logs : '')).join('');
    return { call: { id: c.id, name: 'code_interpreter', arguments: JSON.stringify({ code: c.code_interpreter.input }) }, output: c.code_interpreter.outputs.length ? logs : null };
  },
};

describe('turn engine: server tools through the registry', () => {
  const taskQueue = `turn-engine-${uniqueModel('q')}`;
  const env: Record<string, string> = { ...inject('serviceEnv'), TEMPORAL_TASK_QUEUE: taskQueue, API_WORKER: 'false' };
  const db = createDb(inject('databaseUrl'), 4);
  let api: Service;
  let worker: Worker;
  let running: Promise<void>;
  let connection: NativeConnection;
  let openai: OpenAI;

  beforeAll(async () => {
    const config = loadConfig(env);
    api = await startService('api', env);
    connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
    worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: { codePath: env.WORKFLOW_BUNDLE_PATH! },
      activities: createActivities(db, objectStore(config.s3, env.S3_ENDPOINT!), config.llm, log, new ToolRegistry([echoInterpreter])),
    });
    running = worker.run();
    openai = new OpenAI({ baseURL: api.url, apiKey: 'EMPTY', maxRetries: 0 });
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await api?.stop();
    await db.$disconnect();
  });

  it('a server tool call runs as an activity and its output feeds the next model turn, no requires_action', async () => {
    const model = uniqueModel('engine');
    await llm().script(model, [{ toolCalls: [{ name: 'code_interpreter', arguments: { code: '6*7' } }] }, { text: 'It printed 42.' }]);
    const assistant = await openai.beta.assistants.create({ model, tools: [{ type: 'code_interpreter' }] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'compute 6*7' }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });

    expect(run.status).toBe('completed');
    const steps = (await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc' })).data;
    expect(steps.map((s) => [s.type, s.status])).toEqual([
      ['tool_calls', 'completed'],
      ['message_creation', 'completed'],
    ]);
    const [call] = steps[0]!.step_details.type === 'tool_calls' ? steps[0]!.step_details.tool_calls : [];
    expect(call).toMatchObject({ type: 'code_interpreter', code_interpreter: { input: '6*7', outputs: [{ type: 'logs', logs: `echo: 6*7 (run ${run.id})` }] } });

    // The model was offered the tool as a function, and its second turn read the output.
    const [first, second] = await llm().requests(model);
    expect(first.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['code_interpreter']);
    expect(second.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: call!.id, content: `echo: 6*7 (run ${run.id})` });
    const [answer] = (await openai.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
    expect(answer!.content[0]).toMatchObject({ type: 'text', text: { value: 'It printed 42.' } });
  });

  it('a turn mixing a server tool and a function runs the server tool first, then asks the client for the function only', async () => {
    const model = uniqueModel('engine-mixed');
    await llm().script(model, [
      {
        toolCalls: [
          { name: 'code_interpreter', arguments: { code: 'len("SF")' } },
          { name: 'getCurrentWeather', arguments: { location: 'SF' } },
        ],
      },
      { text: 'Done.' },
    ]);
    const assistant = await openai.beta.assistants.create({ model, tools: [{ type: 'code_interpreter' }, weatherTool] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'both' }] });
    const waiting = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });

    expect(waiting.status).toBe('requires_action');
    const asked = waiting.required_action!.submit_tool_outputs.tool_calls;
    expect(asked.map((c) => c.function.name)).toEqual(['getCurrentWeather']);
    const [step] = (await openai.beta.threads.runs.steps.list(waiting.id, { thread_id: thread.id })).data;
    expect(step!.status).toBe('in_progress');
    const calls = step!.step_details.type === 'tool_calls' ? step!.step_details.tool_calls : [];
    expect(calls[0]).toMatchObject({ type: 'code_interpreter', code_interpreter: { outputs: [{ type: 'logs' }] } });
    expect(calls[1]).toMatchObject({ type: 'function', function: { name: 'getCurrentWeather', output: null } });

    const done = await openai.beta.threads.runs.submitToolOutputsAndPoll(
      waiting.id,
      { thread_id: thread.id, tool_outputs: [{ tool_call_id: asked[0]!.id, output: '68F' }] },
      { pollIntervalMs: 100 },
    );
    expect(done.status).toBe('completed');
    const second = (await llm().requests(model))[1];
    const toolMessages = second.messages.filter((m: { role: string }) => m.role === 'tool');
    expect(toolMessages.map((m: { content: string }) => m.content)).toEqual([`echo: len("SF") (run ${done.id})`, '68F']);
  });

  it('the registry offers a server tool only to runs that enable it, and routes calls by tool', () => {
    const registry = new ToolRegistry([echoInterpreter]);
    expect(registry.offered([weatherTool]).map((t) => t.name)).toEqual(['getCurrentWeather']);
    expect(registry.offered([weatherTool, { type: 'code_interpreter' }]).map((t) => t.name)).toEqual(['getCurrentWeather', 'code_interpreter']);
    // Not enabled: a call named like the tool is the client's function call.
    expect(registry.pending({ id: 'call_1', name: 'code_interpreter', arguments: '{"code":"1"}' }, [weatherTool])).toMatchObject({ type: 'function' });
    const server = registry.pending({ id: 'call_2', name: 'code_interpreter', arguments: '{"code":"1"}' }, [{ type: 'code_interpreter' }]);
    expect(registry.dispatch([server], [{ type: 'code_interpreter' }])).toEqual([{ kind: 'server', id: 'call_2', timeoutMs: 10_000 }]);
  });
});
