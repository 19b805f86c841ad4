/**
 * OpenTelemetry traces after a real run: the API (http/json) and a worker process
 * (http/protobuf, the default) export to an OTLP receiver in this process, and the spans of
 * the request that started the run form one tree across both processes: HTTP request,
 * workflow start, workflow, activities, model calls with their HTTP requests, Postgres. And
 * the settings that turn them on.
 */
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { llm, uniqueModel } from './support/client.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { settled, waitForRun, weatherTool } from './support/runs.js';
import { startForTest } from './support/services.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver?.close());

/** Waits until the trace holds what `done` looks for: spans arrive in batches, the workflow's last. */
async function traceOf(traceId: string, done: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    if (done(spans) || Date.now() > deadline) return spans;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The trace as an indented outline, for a failure's message. */
function tree(spans: ReceivedSpan[]): string {
  const lines: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const s of spans.filter((x) => x.parentSpanId === parent)) {
      lines.push(`${'  '.repeat(depth)}${s.service} ${s.name}`);
      walk(s.spanId, depth + 1);
    }
  };
  const ids = new Set(spans.map((s) => s.spanId));
  for (const root of new Set(spans.filter((s) => !ids.has(s.parentSpanId)).map((s) => s.parentSpanId))) walk(root, 0);
  return lines.join('\n');
}

/** Whether `ancestor` is above `span` in the trace. */
function under(spans: ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  for (let at = spans.find((s) => s.spanId === span.parentSpanId); at; at = spans.find((s) => s.spanId === at!.parentSpanId)) {
    if (at === ancestor) return true;
  }
  return false;
}

const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe('traces', () => {
  it('one run is one trace from the API’s request through the worker’s workflow, activities, model calls and queries', { timeout: 180_000 }, async () => {
    const q = uniqueModel('tracing');
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
    const queues = { TEMPORAL_TASK_QUEUE: `${q}-runs`, TEMPORAL_INGEST_TASK_QUEUE: `${q}-ingest` };
    const api = await startForTest('api', { ...queues, ...otel, API_WORKER: 'false', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    const worker = await startForTest('worker', { ...queues, ...otel });
    expect(api.output()).toContain('"service_name":"assistants-api"');
    expect(worker.output()).toContain('"service_name":"assistants-worker"');

    const model = uniqueModel('traced');
    await llm().script(model, [{ toolCalls: [{ name: 'getCurrentWeather', arguments: { location: 'Oslo' } }] }, { text: 'Cold.' }]);
    const openai = new OpenAI({ baseURL: api.url, apiKey: 'EMPTY', maxRetries: 0 });
    const assistant = await openai.beta.assistants.create({ model, tools: [weatherTool] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Weather in Oslo?' }] });

    // The caller's own trace: the server continues it.
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const created = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id }, { headers: { traceparent: `00-${traceId}-${callerSpan}-01` } });
    const parked = await waitForRun(openai, thread.id, created.id, (r) => r.status !== 'queued' && r.status !== 'in_progress');
    expect(parked.status).toBe('requires_action');
    const call = parked.required_action!.submit_tool_outputs.tool_calls[0]!;
    await openai.beta.threads.runs.submitToolOutputs(created.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: '-3 C' }] });
    expect((await waitForRun(openai, thread.id, created.id, settled)).status).toBe('completed');

    const spans = await traceOf(traceId, (s) => named(s, `chat ${model}`).length === 2 && named(s, 'RunWorkflow:assistantRun').length === 1);
    const shape = tree(spans);

    // The API: its server span, a child of the caller's, and the workflow start under it (in
    // the transaction that writes the run).
    const [request] = named(spans, 'POST /threads/:thread_id/runs');
    expect(request, shape).toMatchObject({ service: 'assistants-api', parentSpanId: callerSpan, attributes: { 'http.route': '/threads/:thread_id/runs', 'http.response.status_code': 200 } });
    expect(request!.attributes['assistants.request_id']).toMatch(/^req_/);
    const [start] = named(spans, 'StartWorkflow:assistantRun');
    expect(start, shape).toMatchObject({ service: 'assistants-api' });
    expect(under(spans, start!, request!), shape).toBe(true);
    expect(spans.some((s) => s.service === 'assistants-api' && s.name.startsWith('prisma:'))).toBe(true);

    // The worker: the workflow under the start, the model's two calls (before and after the
    // tool outputs) under its activities, each with its HTTP request, and Prisma's queries.
    const [workflow] = named(spans, 'RunWorkflow:assistantRun');
    expect(workflow, shape).toMatchObject({ service: 'assistants-worker', parentSpanId: start!.spanId, attributes: { workflowId: created.id } });
    const chats = named(spans, `chat ${model}`);
    expect(chats.map((c) => c.attributes['gen_ai.response.finish_reasons'])).toEqual([['tool_calls'], ['stop']]);
    for (const chat of chats) {
      expect(chat).toMatchObject({ service: 'assistants-worker', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model } });
      expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      expect(spans.find((s) => s.spanId === chat.parentSpanId)?.name).toMatch(/^RunActivity:/);
      expect(spans.filter((s) => s.parentSpanId === chat.spanId).map((s) => s.attributes['url.full'])).toContainEqual(expect.stringContaining(new URL(inject('serviceEnv').MODEL_URL!).host));
    }
    expect(spans.some((s) => s.service === 'assistants-worker' && s.name.startsWith('prisma:'))).toBe(true);

    // One tree: every span's parent is in the trace, but the root's, which is the caller's.
    const ids = new Set(spans.map((s) => s.spanId));
    expect(spans.filter((s) => !ids.has(s.parentSpanId)).map((s) => s.name)).toEqual(['POST /threads/:thread_id/runs']);
    expect(new Set(receiver.contentTypes)).toEqual(new Set(['application/json', 'application/x-protobuf']));

    // The request's log line carries the trace it belongs to.
    expect(api.output()).toMatch(new RegExp(`"trace_id":"${traceId}".*"path":"/threads/${thread.id}/runs"`));

    // The submit is a trace of its own, reaching the workflow's update handler on the worker.
    const [submit] = receiver.spans.filter((s) => s.name === 'POST /threads/:thread_id/runs/:run_id/submit_tool_outputs');
    const submitted = await traceOf(submit!.traceId, (s) => s.some((x) => x.name.startsWith('HandleUpdate:')));
    expect(submitted.filter((s) => s.name.includes('Update')).map((s) => `${s.service} ${s.name.split(':')[0]}`)).toEqual(
      expect.arrayContaining(['assistants-api StartWorkflowUpdate', 'assistants-worker HandleUpdate']),
    );

    // A run started by an API that does not trace: the worker traces its activities, but the
    // workflow, started without a trace, makes no spans of its own.
    const untraced = await startForTest('api', { ...queues, API_WORKER: 'false' });
    const plain = new OpenAI({ baseURL: untraced.url, apiKey: 'EMPTY', maxRetries: 0 });
    const quiet = uniqueModel('untraced');
    await llm().script(quiet, [{ text: 'No trace.' }]);
    const run = await plain.beta.threads.createAndRunPoll({ assistant_id: (await plain.beta.assistants.create({ model: quiet })).id, thread: { messages: [{ role: 'user', content: 'hi' }] } }, { pollIntervalMs: 100 });
    expect(run.status).toBe('completed');
    const ofRun = () => receiver.spans.filter((s) => s.attributes.temporalWorkflowId === run.id || s.attributes.workflowId === run.id);
    await traceOf('', () => ofRun().some((s) => s.name === 'RunActivity:modelTurn'));
    // Spans leave the worker in batches every 100 ms: what the workflow made would be here by now.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ofRun().map((s) => s.name)).toContain('RunActivity:modelTurn');
    expect(ofRun().filter((s) => s.attributes.workflowId === run.id)).toEqual([]);
  });
});

describe('tracing settings', () => {
  const tracing = (env: Record<string, string>) => loadConfig(env).tracing;

  it('off unless an endpoint or exporter is set; OTEL_SDK_DISABLED wins; empty counts as unset', () => {
    expect(tracing({})).toEqual({ exporter: 'none', protocol: 'http/protobuf' });
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: '', OTEL_EXPORTER_OTLP_PROTOCOL: '' })).toEqual({ exporter: 'none', protocol: 'http/protobuf' });
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).exporter).toBe('otlp');
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).exporter).toBe('otlp');
    expect(tracing({ OTEL_TRACES_EXPORTER: 'console' }).exporter).toBe('console');
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).exporter).toBe('none');
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).exporter).toBe('none');
    expect(tracing({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).protocol).toBe('http/protobuf');
    expect(tracing({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol).toBe('http/json');
  });

  it('refuses what is not built in, naming the setting', () => {
    expect(() => tracing({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(ConfigError);
    expect(() => tracing({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
    expect(() => tracing({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
  });
});
