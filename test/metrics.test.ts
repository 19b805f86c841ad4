/**
 * `/metrics` after real runs: the API's own (requests by route, streams, runs ended, model
 * calls, first tokens, tokens) and a worker process's on METRICS_PORT with Temporal's SDK
 * metrics beside them; who may scrape; `openai-processing-ms` on every response.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../src/stack/ports.js';
import { llm, uniqueModel } from './support/client.js';
import { settled, waitForRun } from './support/runs.js';
import { startForTest } from './support/services.js';

const queue = () => ({ TEMPORAL_TASK_QUEUE: `metrics-${uniqueModel('q')}` });

/** Samples of a Prometheus text exposition by name, with their labels as written and values. */
function samples(text: string, name: string): { labels: string; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const m = /^[^{\s]+(\{.*\})?\s+(\S+)$/.exec(line)!;
      return { labels: m[1] ?? '', value: Number(m[2]) };
    });
}

const total = (text: string, name: string, labels: string[]) =>
  samples(text, name)
    .filter((s) => labels.every((l) => s.labels.includes(l)))
    .reduce((n, s) => n + s.value, 0);

async function streamedRun(openai: OpenAI, model: string) {
  await llm().script(model, [{ text: 'measured answer', chunkSize: 4 }]);
  const assistant = await openai.beta.assistants.create({ model });
  const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'count me' }] });
  const run = await openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id }).finalRun();
  await waitForRun(openai, thread.id, run.id, settled);
  return run;
}

describe('metrics', () => {
  it('the API counts requests by route, runs by status, model calls, first tokens and tokens of the runs its worker ran', { timeout: 180_000 }, async () => {
    // Runs start eagerly on the API's own worker: nothing else polls this queue.
    const api = await startForTest('api', { ...queue(), API_WORKER: 'true' });
    const openai = new OpenAI({ baseURL: api.url, apiKey: 'EMPTY', maxRetries: 0 });
    const model = uniqueModel('metrics');
    const run = await streamedRun(openai, model);
    expect(run.status).toBe('completed');

    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(total(text, 'assistants_http_request_duration_seconds_count', ['method="POST"', 'route="/threads/:thread_id/runs"', 'status="200"'])).toBe(1);
    expect(total(text, 'assistants_http_request_duration_seconds_count', ['method="POST"', 'route="/assistants"'])).toBe(1);
    expect(total(text, 'assistants_runs_ended_total', ['status="completed"'])).toBeGreaterThanOrEqual(1);
    expect(total(text, 'assistants_model_call_duration_seconds_count', [`model="${model}"`, 'outcome="ok"'])).toBe(1);
    expect(total(text, 'assistants_model_time_to_first_token_seconds_count', [`model="${model}"`])).toBe(1);
    expect(total(text, 'assistants_model_tokens_total', [`model="${model}"`, 'kind="completion"'])).toBeGreaterThan(0);
    // The stream has ended: none open.
    expect(total(text, 'assistants_open_streams', [])).toBe(0);
    // Node's own, too.
    expect(samples(text, 'assistants_process_resident_memory_bytes')[0]!.value).toBeGreaterThan(0);
  });

  it('a worker process serves its own metrics on METRICS_PORT, with Temporal SDK metrics on TEMPORAL_METRICS_ADDRESS', { timeout: 180_000 }, async () => {
    const [metricsPort, temporalMetricsPort] = (await freePorts(2)) as [number, number];
    const q = queue();
    const api = await startForTest('api', { ...q, API_WORKER: 'false' });
    await startForTest('worker', { ...q, METRICS_PORT: String(metricsPort), TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${temporalMetricsPort}` });
    const openai = new OpenAI({ baseURL: api.url, apiKey: 'EMPTY', maxRetries: 0 });
    const model = uniqueModel('worker-metrics');
    await streamedRun(openai, model);

    const worker = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(total(worker, 'assistants_model_call_duration_seconds_count', [`model="${model}"`, 'outcome="ok"'])).toBe(1);
    expect(total(worker, 'assistants_runs_ended_total', ['status="completed"'])).toBe(1);
    // The API ran none of it.
    expect(total(await (await fetch(`${api.url}/metrics`)).text(), 'assistants_model_call_duration_seconds_count', [`model="${model}"`])).toBe(0);
    const sdk = await (await fetch(`http://127.0.0.1:${temporalMetricsPort}/metrics`)).text();
    expect(sdk).toMatch(/^temporal_\w+/m);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
  });

  it('with API_KEYS, only METRICS_API_KEY scrapes: an API key gets 401, no metrics key at all 403', { timeout: 180_000 }, async () => {
    const keyed = await startForTest('api', { ...queue(), API_KEYS: 'sk-project', METRICS_API_KEY: 'sk-metrics' });
    const get = (url: string, key?: string) => fetch(`${url}/metrics`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    expect((await get(keyed.url, 'sk-metrics')).status).toBe(200);
    const withApiKey = await get(keyed.url, 'sk-project');
    expect(withApiKey.status).toBe(401);
    expect(await withApiKey.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect((await get(keyed.url)).status).toBe(401);

    const unkeyed = await startForTest('api', { ...queue(), API_KEYS: 'sk-project' });
    const refused = await get(unkeyed.url, 'sk-project');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'metrics_key_required' } });
  });

  it('every response carries openai-processing-ms and x-request-id, streams included', async () => {
    const api = await startForTest('api', { ...queue() });
    const openai = new OpenAI({ baseURL: api.url, apiKey: 'EMPTY', maxRetries: 0 });
    const { data, response } = await openai.beta.assistants.create({ model: uniqueModel('headers') }).withResponse();
    expect(data.object).toBe('assistant');
    expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    const missing = await fetch(`${api.url}/v1/assistants/asst_missing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    const model = uniqueModel('headers-stream');
    await llm().script(model, [{ text: 'streamed' }]);
    const assistant = await openai.beta.assistants.create({ model });
    const thread = await openai.beta.threads.create();
    const stream = await fetch(`${api.url}/v1/threads/${thread.id}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ assistant_id: assistant.id, stream: true }),
    });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    await stream.text();
  });
});
