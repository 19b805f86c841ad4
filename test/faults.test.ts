/**
 * Faults, each reproduced as the fault probe found it: a Postgres outage (through a proxy we
 * cut, so the shared stack is untouched), a model asking for an hour's retry delay, tool
 * outputs and a cancel sent while no worker is up. Each test has its own task queue, API and
 * worker processes.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../src/stack/ports.js';
import { failure, llm, uniqueModel } from './support/client.js';
import { waitForRun, weatherTool } from './support/runs.js';
import { startForTest, type Service } from './support/services.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});

const start = startForTest;

const queue = () => ({ TEMPORAL_TASK_QUEUE: `faults-${uniqueModel('q')}` });
const sdk = (api: Service) => new OpenAI({ baseURL: api.url, apiKey: 'EMPTY', maxRetries: 0 });

async function assistantWith(openai: OpenAI, replies: Parameters<ReturnType<typeof llm>['script']>[1], tools = false) {
  const model = uniqueModel('faults');
  await llm().script(model, replies);
  const assistant = await openai.beta.assistants.create({ model, tools: tools ? [weatherTool] : [] });
  const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'weather?' }] });
  return { model, assistant, thread };
}

describe('a Postgres outage', () => {
  it('streaming, health and every endpoint heal once Postgres is back; no 5xx after recovery', { timeout: 180_000 }, async () => {
    const real = new URL(inject('databaseUrl'));
    const proxy: TcpProxy = await startTcpProxy({ host: real.hostname, port: Number(real.port) });
    cleanup.push(() => proxy.close());
    const viaProxy = new URL(real);
    viaProxy.port = String(proxy.port);
    const q = queue();
    const api = await start('api', { ...q, DATABASE_URL: viaProxy.toString(), API_WORKER: 'false', HEALTH_TIMEOUT_MS: '1000' });
    await start('worker', q);
    const openai = sdk(api);
    const { assistant, thread } = await assistantWith(openai, [{ text: 'after the outage' }]);

    proxy.down();
    // The probe's trigger: a streaming request while Postgres is down.
    await expect(openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, stream: true })).rejects.toThrow();
    const t0 = Date.now();
    const degraded = await fetch(`${api.url}/health/ready`);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(degraded.status).toBe(503);
    const body = await degraded.json();
    expect(body).toMatchObject({ status: 'degraded', services: { postgres: { ok: false }, listener: { ok: false } } });
    // No internals (hosts, ports, driver messages) to unauthenticated callers.
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|error/i);
    expect((await fetch(`${api.url}/health/live`)).status).toBe(200);

    proxy.up();
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${api.url}/health/ready`)).status !== 200) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 200));
    }
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const run = await stream.finalRun();
    expect(run.status).toBe('completed');
    const messages = await openai.beta.threads.messages.list(thread.id);
    expect(messages.data.map((m) => (m.content[0] as { text: { value: string } }).text.value)).toEqual(['after the outage', 'weather?']);
  });
});

describe('model retry delays', () => {
  it('a 429 asking for an hour is capped (LLM_MAX_RETRY_DELAY_MS): the retry comes at once and the run completes', { timeout: 180_000 }, async () => {
    const q = queue();
    const api = await start('api', { ...q, LLM_MAX_RETRY_DELAY_MS: '300' });
    const openai = sdk(api);
    const { model, assistant, thread } = await assistantWith(openai, [{ error: { status: 429, retryAfterSec: 3600 } }, { text: 'made it' }]);
    const started = Date.now();
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await llm().requests(model)).toHaveLength(2);
  });

  it('a retry that would start after expires_at is not made: the run fails before expiring, thread free, our wording only', { timeout: 180_000 }, async () => {
    const q = queue();
    const api = await start('api', { ...q, RUN_EXPIRY_SECONDS: '20' });
    const openai = sdk(api);
    const { model, assistant, thread } = await assistantWith(openai, [
      { error: { status: 429, retryAfterSec: 3600, message: 'quota of org-secret at 10.1.2.3' } },
      { text: 'never used' },
    ]);
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
    expect(run).toMatchObject({ status: 'failed', last_error: { code: 'rate_limit_exceeded' } });
    expect(run.failed_at!).toBeLessThan(run.expires_at!);
    expect(run.last_error!.message).not.toMatch(/org-secret|10\.1\.2\.3|429/);
    expect(await llm().requests(model)).toHaveLength(1);
    await openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'free again' });
  });
});

describe('requests while no worker is up', () => {
  const toolCall = { toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'SF' } }] };

  it('a cancel acknowledged before expiry ends the run cancelled, though the timer fires in the same task', { timeout: 180_000 }, async () => {
    const q = queue();
    const env = { ...q, RUN_EXPIRY_SECONDS: '6' };
    const api = await start('api', { ...env, API_WORKER: 'false' });
    const worker = await start('worker', env);
    const openai = sdk(api);
    const { assistant, thread } = await assistantWith(openai, [toolCall], true);
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await waitForRun(openai, thread.id, run.id, (r) => r.status === 'requires_action');
    await worker.stop(true);
    expect((await openai.beta.threads.runs.cancel(run.id, { thread_id: thread.id })).status).toBe('cancelling');
    await new Promise((r) => setTimeout(r, (run.expires_at! + 1) * 1000 - Date.now()));
    await start('worker', env);
    const ended = await waitForRun(openai, thread.id, run.id, (r) => !['cancelling', 'requires_action'].includes(r.status), 30_000);
    expect(ended.status).toBe('cancelled');
  });

  it('submit_tool_outputs waits SUBMIT_WAIT_MS for a worker, then a 503; the outputs are taken once, never dropped', { timeout: 300_000 }, async () => {
    const q = queue();
    // Expiry is not what this is about: room for two process starts and a sticky queue's wait on a loaded machine.
    const env = { ...q, RUN_EXPIRY_SECONDS: '180', SUBMIT_WAIT_MS: '1500' };
    const api = await start('api', { ...env, API_WORKER: 'false' });
    const worker = await start('worker', env);
    const openai = sdk(api);
    const { model, assistant, thread } = await assistantWith(openai, [toolCall, { text: 'It is 68F.' }], true);
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const waiting = await waitForRun(openai, thread.id, run.id, (r) => r.status === 'requires_action');
    await worker.stop(true);
    const outputs = [{ tool_call_id: waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id, output: '68F' }];
    const t0 = Date.now();
    const err = await failure(openai.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: outputs }));
    expect(Date.now() - t0).toBeLessThan(6_000);
    expect(err.status).toBe(503);
    expect(err.error).toMatchObject({ type: 'server_error', message: expect.stringContaining('retry') });

    const second = await start('worker', env);
    // Retried as the SDK retries a 503 (the new worker first waits out the dead one's sticky
    // queue): the same submission joins the first one's update instead of making a second.
    const retrying = new OpenAI({ baseURL: api.url, apiKey: 'EMPTY', maxRetries: 5 });
    const retried = await retrying.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: outputs }).catch((e: Error) => e);
    if (retried instanceof Error) expect(retried.message).toMatch(/do not accept tool outputs/);
    else expect(retried.status).toBe('queued');
    // Should the run stay parked, the failure shows what the retry heard and what each process did.
    const done = await waitForRun(openai, thread.id, run.id, (r) => r.status === 'completed', 150_000).catch((err: Error) => {
      const heard = retried instanceof Error ? retried.message : retried.status;
      throw new Error(`${err.message}; the retry heard: ${heard}\n--- api\n${api.output().slice(-6000)}\n--- worker\n${second.output().slice(-6000)}`);
    });
    expect(done.status).toBe('completed');
    expect(await llm().requests(model)).toHaveLength(2);
    const [step] = (await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc' })).data;
    expect(step!.step_details).toMatchObject({ type: 'tool_calls', tool_calls: [{ function: { output: '68F' } }] });
  });
});

describe('a model server that is not there', () => {
  it('fails the run within seconds, naming MODEL_URL but not its address; /health reports it and stays ready', { timeout: 180_000 }, async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}/v1`;
    const q = queue();
    const api = await start('api', { ...q, MODEL_URL: nowhere, API_WORKER: 'false' });
    await start('worker', { ...q, MODEL_URL: nowhere });
    const openai = sdk(api);
    const assistant = await openai.beta.assistants.create({ model: uniqueModel('nowhere') });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'hello?' }] });
    const t0 = Date.now();
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const failed = await waitForRun(openai, thread.id, run.id, (r) => r.status === 'failed', 30_000);
    // One retry a second later, in case it was restarting; not five over 16 s.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(failed.last_error).toEqual({ code: 'server_error', message: "The model server could not be reached. Check the server's MODEL_URL setting." });

    const health = await fetch(`${api.url}/health`);
    // Advisory: the API still serves everything else, so it stays in rotation.
    expect(health.status).toBe(200);
    const body = await health.json();
    expect(body).toMatchObject({ status: 'ok', services: { model: { ok: false }, postgres: { ok: true } } });
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
  });
});
