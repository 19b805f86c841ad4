import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { bearerKey } from './bearer.js';
import type { RunOutcome } from './run-status.js';

/**
 * The process's Prometheus metrics (`GET /metrics` on the API, METRICS_PORT on a worker
 * process): what an operator watches — requests, streams, runs, model calls, tools — beside
 * Node's own (memory, event loop lag, GC). One registry per process; an API that runs a worker
 * (API_WORKER) reports both in one scrape. Temporal's own worker metrics come from its SDK
 * (TEMPORAL_METRICS_ADDRESS, src/worker.ts).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'assistants_' });

const registers = [registry];
// Model calls and first tokens: from tens of milliseconds (a hosted model) to minutes (a CPU one).
const slow = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export const metrics = {
  httpRequests: new Histogram({
    name: 'assistants_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status; a stream counts until it ends',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers,
  }),
  openStreams: new Gauge({ name: 'assistants_open_streams', help: 'Server-sent event streams open now', registers }),
  runsEnded: new Counter({
    name: 'assistants_runs_ended_total',
    help: 'Runs that reached a terminal status, by status and last_error code (empty when none)',
    labelNames: ['status', 'code'] as const,
    registers,
  }),
  modelCalls: new Histogram({
    name: 'assistants_model_call_duration_seconds',
    help: 'Model calls by model and outcome (ok, or the failure code), start to last event',
    labelNames: ['model', 'outcome'] as const,
    buckets: slow,
    registers,
  }),
  timeToFirstToken: new Histogram({
    name: 'assistants_model_time_to_first_token_seconds',
    help: 'From a model call to its first text or tool-call event, by model',
    labelNames: ['model'] as const,
    buckets: slow,
    registers,
  }),
  tokens: new Counter({ name: 'assistants_model_tokens_total', help: 'Tokens by model and kind (prompt, completion)', labelNames: ['model', 'kind'] as const, registers }),
  toolCalls: new Counter({ name: 'assistants_tool_calls_total', help: 'Server tool calls run, by tool and outcome', labelNames: ['tool', 'outcome'] as const, registers }),
};

/** Counts a run that has just ended (`closed`: the terminal write took effect). */
export function countRunEnded(outcome: RunOutcome, closed: unknown): void {
  if (closed) metrics.runsEnded.inc({ status: outcome.status, code: outcome.status === 'failed' ? outcome.error.code : '' });
}

export interface MetricsAccess {
  /** METRICS_API_KEY. */
  key?: string;
  /** Whether the API needs keys (API_KEYS, or project keys issued): then, without a metrics key, metrics are refused. */
  keyed: () => boolean | Promise<boolean>;
}

/**
 * Who may scrape: the bearer of METRICS_API_KEY, never an API key (a project's key must not
 * read every project's figures); without METRICS_API_KEY, anyone where the API is open too (no
 * API_KEYS and no project key issued), no one otherwise.
 */
export async function metricsAccess(authorization: string | undefined, access: MetricsAccess): Promise<'ok' | 'unauthorized' | 'forbidden'> {
  if (access.key === undefined) return (await access.keyed()) ? 'forbidden' : 'ok';
  const given = bearerKey(authorization) ?? '';
  return given.length === access.key.length && timingSafeEqual(Buffer.from(given), Buffer.from(access.key)) ? 'ok' : 'unauthorized';
}

/** A worker process's `/metrics` (METRICS_PORT): it has no HTTP API to put it on. */
export async function serveMetrics(host: string, port: number, access: MetricsAccess): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
    void (async () => {
      const allowed = await metricsAccess(req.headers.authorization, access);
      if (allowed !== 'ok') return void res.writeHead(allowed === 'forbidden' ? 403 : 401).end();
      res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}
