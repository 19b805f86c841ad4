/**
 * A real HTTP model server for tests and benchmarks: point MODEL_URL (and the Anthropic URL) at
 * `url` and script what each model answers. It speaks the OpenAI chat-completions wire format
 * (`POST /v1/chat/completions`, SSE or JSON) and the Anthropic Messages one (`POST /v1/messages`),
 * so our adapters are exercised end to end without mocks.
 *
 * Other processes (vitest workers, when the server runs in the global setup) script it over HTTP
 * through control routes under `/_scripted/`, kept apart from the model routes under `/v1/`:
 *   POST /_scripted/script    `{model, replies: Reply[]}`  appends to the model's queue, as `script`
 *   GET  /_scripted/requests?model=X                      the model's recorded request bodies (JSON array)
 *   POST /_scripted/reset     `{model}`                    clears the model's queue and records
 *   POST /_scripted/default   `{reply: Reply | null}`      a fixed reply for every model whose queue is empty (null clears)
 * A `flaky` reply is not used up: it stays at the head of its model's queue and answers every
 * request, failing a share of them (fault injection under load).
 * Function replies cannot cross HTTP: remote scripting takes plain `Reply` objects only.
 * `connectScriptedLlm` in `./scripted-llm-client.ts` wraps these routes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Streaming {
  /** Characters per streamed chunk (default 4). */
  chunkSize?: number;
  /** Pause between chunks. */
  delayMs?: number;
  /** Pause after the response headers, before the first token. */
  firstTokenDelayMs?: number;
  /** Ignore `stream_options.include_usage`, as FastChat and older servers do (OpenAI wire only). */
  omitUsage?: boolean;
}

/** One answer to one request. */
type Answer =
  | ({ text: string; finishReason?: 'stop' | 'length' } & Streaming)
  | ({ toolCalls: { name: string; arguments: string | object }[] } & Streaming)
  /** An HTTP error in the backend's own error format; `inStream` sends it as a stream event after a 200 instead. */
  | { error: { status: number; message?: string; retryAfterSec?: number; inStream?: boolean } }
  /** Accepts the request and never answers (until the client goes away). */
  | { hang: true }
  /** Streams the role chunk and `dieAfterChunks` text chunks, then destroys the socket. */
  | { dieAfterChunks: number; text: string }
  /** 400, as a server without tool support answers a request carrying `tools`. */
  | { rejectTools: true }
  /** A text reply whose content is `JSON.stringify(json)` (prompted tool mode). */
  | ({ json: unknown } & Streaming)
  /** Streams `repeat` as one chunk after another until the client goes away, as a model stuck in a loop does (OpenAI wire only). */
  | { repeat: string; delayMs?: number };

export type Reply =
  | Answer
  /**
   * Answers every request (it is never used up): about `rate` of them with one of `failures`,
   * the rest with `reply`. A retry repeats its request's body, so the choice is made from the
   * body and how many times it came before, and the same body fails at most `maxInARow` times
   * in a row: every call gets through within maxInARow + 1 attempts, and the run's outcome stays
   * certain however the failures fall.
   */
  | { flaky: Flaky };

interface Flaky {
  rate: number;
  maxInARow: number;
  failures: Answer[];
  reply: Answer;
}

/** Request bodies are whatever the client sent: tests assert on them freely. */
type Body = any;

export type ScriptedReply = Reply | ((req: Body) => Reply);

export interface ScriptedLlm {
  /** `http://127.0.0.1:<port>/v1`: an OpenAI base URL; Anthropic clients use the origin (`/v1/messages`). */
  url: string;
  /** Appends to the model's FIFO queue; use a unique model name per test so tests can run concurrently. */
  script(model: string, replies: ScriptedReply[]): void;
  /** Answers requests for models whose queue is empty: a function of the request, or one fixed reply; `undefined` clears it. */
  setDefault(fallback: ((req: Body, model: string) => Reply) | Reply | undefined): void;
  /** Parsed bodies received for the model, in order. */
  requests(model: string): Body[];
  close(): Promise<void>;
}

type Wire = 'openai' | 'anthropic';

export async function startScriptedLlm(opts: { port?: number } = {}): Promise<ScriptedLlm> {
  const queues = new Map<string, ScriptedReply[]>();
  const received = new Map<string, Body[]>();
  // Per flaky model: how many times each request body came, and how many of those in a row failed.
  const seen = new Map<string, Map<string, { count: number; failedInARow: number }>>();
  let fallback: ((req: Body, model: string) => Reply) | undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err), type: 'server_error' } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path.startsWith(CONTROL_PREFIX)) return control(req, res, path.slice(CONTROL_PREFIX.length));
    const wire: Wire | undefined =
      req.method !== 'POST' ? undefined : path === '/v1/chat/completions' ? 'openai' : path === '/v1/messages' ? 'anthropic' : undefined;
    if (!wire) return sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });

    let body: Body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return sendError(res, wire, 400, 'request body is not JSON');
    }
    const model = String(body.model ?? '');
    const log = received.get(model) ?? [];
    received.set(model, log);
    log.push(body);
    // As the real API does, before any reply is used up. The key comes as `x-api-key` or, as the
    // official SDK sends it, a bearer token.
    if (wire === 'anthropic' && !req.headers['x-api-key'] && !/^Bearer \S/.test(req.headers.authorization ?? '')) {
      return sendError(res, wire, 401, 'an x-api-key or authorization header is required');
    }
    if (wire === 'anthropic' && !req.headers['anthropic-version']) return sendError(res, wire, 400, 'anthropic-version header is required');

    const head = queues.get(model)?.[0];
    const next = head !== undefined && typeof head === 'object' && 'flaky' in head ? head : queues.get(model)?.shift();
    const scripted = next ? (typeof next === 'function' ? next(body) : next) : fallback?.(body, model);
    const reply = scripted && 'flaky' in scripted ? flakyChoice(model, body, scripted.flaky) : scripted;
    if (!reply) return sendError(res, wire, 500, `no scripted reply for model ${model}`);
    await (wire === 'openai' ? replyOpenAI : replyAnthropic)(res, body, model, reply);
  }

  function flakyChoice(model: string, body: Body, flaky: Flaky): Answer {
    const bodies = seen.get(model) ?? new Map<string, { count: number; failedInARow: number }>();
    seen.set(model, bodies);
    const key = JSON.stringify(body.messages ?? body);
    const state = bodies.get(key) ?? { count: 0, failedInARow: 0 };
    bodies.set(key, state);
    const draw = createHash('sha256').update(`${key}#${state.count++}`).digest().readUInt32BE(0);
    if (state.failedInARow < flaky.maxInARow && draw / 2 ** 32 < flaky.rate && flaky.failures.length) {
      state.failedInARow++;
      return flaky.failures[draw % flaky.failures.length]!;
    }
    state.failedInARow = 0;
    return flaky.reply;
  }

  function script(model: string, replies: ScriptedReply[]): void {
    queues.set(model, [...(queues.get(model) ?? []), ...replies]);
  }

  function setDefault(value: ((req: Body, model: string) => Reply) | Reply | undefined): void {
    fallback = typeof value === 'function' || value === undefined ? value : () => value;
  }

  /** The remote control: JSON in, JSON out, errors as `{error: {message}}`. */
  async function control(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    const fail = (status: number, message: string) => sendJson(res, status, { error: { message } });
    const method = CONTROL_ROUTES.get(route);
    if (!method) return fail(404, `no control route ${req.method} ${CONTROL_PREFIX}${route}`);
    if (req.method !== method) {
      res.setHeader('allow', method);
      return fail(405, `${CONTROL_PREFIX}${route} takes ${method}, not ${req.method}`);
    }

    if (route === 'requests') {
      const model = new URL(req.url ?? '', 'http://localhost').searchParams.get('model');
      if (model === null) return fail(400, 'the model query parameter is required');
      return sendJson(res, 200, received.get(model) ?? []);
    }

    let body: Body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return fail(400, 'request body is not JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(400, 'request body must be a JSON object');

    if (route === 'default') {
      if (!('reply' in body)) return fail(400, 'reply is required (null clears the default)');
      if (body.reply === null) {
        setDefault(undefined);
        return sendJson(res, 200, { ok: true });
      }
      const problem = replyProblem(body.reply);
      if (problem) return fail(400, `reply: ${problem}`);
      setDefault(body.reply as Reply);
      return sendJson(res, 200, { ok: true });
    }

    if (typeof body.model !== 'string') return fail(400, 'model must be a string');
    const model: string = body.model;
    if (route === 'reset') {
      queues.delete(model);
      received.delete(model);
      seen.delete(model);
      return sendJson(res, 200, { ok: true });
    }
    // script
    if (!Array.isArray(body.replies)) return fail(400, 'replies must be an array of Reply objects');
    for (const [i, reply] of (body.replies as unknown[]).entries()) {
      const problem = replyProblem(reply);
      if (problem) return fail(400, `replies[${i}]: ${problem}`);
    }
    script(model, body.replies as Reply[]);
    return sendJson(res, 200, { ok: true, queued: queues.get(model)?.length ?? 0 });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    script,
    setDefault,
    requests(model) {
      return received.get(model) ?? [];
    },
    close() {
      server.closeAllConnections(); // hanging replies would keep close() waiting forever
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

// ---- remote control ----

const CONTROL_PREFIX = '/_scripted/';
const CONTROL_ROUTES = new Map([
  ['script', 'POST'],
  ['requests', 'GET'],
  ['reset', 'POST'],
  ['default', 'POST'],
]);

/** Why a value sent over HTTP is not a usable `Reply` (undefined when it is); catches what would only fail mid-request. */
function replyProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'must be a Reply object (function replies cannot be sent over HTTP)';
  }
  const r = value as Record<string, unknown>;
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if ('error' in r) {
    const e = r.error;
    return isObject(e) && Number.isInteger((e as { status?: unknown }).status) ? undefined : 'error.status must be an integer HTTP status';
  }
  if ('hang' in r) return r.hang === true ? undefined : 'hang must be true';
  if ('rejectTools' in r) return r.rejectTools === true ? undefined : 'rejectTools must be true';
  if ('repeat' in r) return typeof r.repeat === 'string' && r.repeat !== '' ? undefined : 'repeat must be a non-empty string';
  if ('dieAfterChunks' in r) {
    return Number.isInteger(r.dieAfterChunks) && typeof r.text === 'string' ? undefined : 'dieAfterChunks needs an integer count and a text string';
  }
  if ('toolCalls' in r) {
    const ok =
      Array.isArray(r.toolCalls) &&
      r.toolCalls.every((c) => isObject(c) && typeof c.name === 'string' && (typeof c.arguments === 'string' || isObject(c.arguments)));
    return ok ? undefined : 'toolCalls must be an array of {name: string, arguments: string | object}';
  }
  if ('json' in r) return undefined;
  if ('flaky' in r) {
    const f = r.flaky as Record<string, unknown>;
    if (!isObject(f) || typeof f.rate !== 'number' || !Number.isInteger(f.maxInARow) || !Array.isArray(f.failures)) {
      return 'flaky needs a rate, an integer maxInARow, failures and a reply';
    }
    const answers = [...(f.failures as unknown[]), f.reply];
    if (answers.some((a) => isObject(a) && 'flaky' in (a as object))) return 'flaky replies do not nest';
    return answers.map(replyProblem).find(Boolean);
  }
  if ('text' in r) return typeof r.text === 'string' ? undefined : 'text must be a string';
  return 'needs one of text, json, toolCalls, error, hang, dieAfterChunks, rejectTools, repeat, flaky';
}

// ---- OpenAI chat completions ----

async function replyOpenAI(res: ServerResponse, body: Body, model: string, reply: Answer): Promise<void> {
  if ('error' in reply) {
    if (!reply.error.inStream) return sendError(res, 'openai', reply.error.status, reply.error.message, reply.error.retryAfterSec);
    startSse(res);
    // vLLM's shape for a failure after the stream began: the status sits in `code`.
    writeData(res, { error: { message: reply.error.message ?? 'error', type: errorType('openai', reply.error.status), code: reply.error.status } });
    return void res.end();
  }
  if ('rejectTools' in reply) {
    return sendError(res, 'openai', 400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set');
  }
  if ('hang' in reply) return hang(res);
  if ('repeat' in reply) return repeatForever(res, model, reply);

  const id = `chatcmpl-${randomId()}`;
  const created = Math.floor(Date.now() / 1000);
  const content = 'toolCalls' in reply ? null : 'json' in reply ? JSON.stringify(reply.json) : reply.text;
  const calls = 'toolCalls' in reply ? reply.toolCalls.map((c) => ({ id: `call_${randomId()}`, name: c.name, args: argsText(c.arguments) })) : [];
  const finishReason = calls.length ? 'tool_calls' : ('finishReason' in reply && reply.finishReason) || 'stop';
  const usage = {
    prompt_tokens: Math.ceil(JSON.stringify(body.messages ?? []).length / 4),
    completion_tokens: Math.ceil(((content ?? '').length + calls.reduce((n, c) => n + c.args.length, 0)) / 4),
    total_tokens: 0,
  };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;

  if (!body.stream) {
    if ('dieAfterChunks' in reply) return void res.destroy();
    const toolCalls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } }));
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content, ...(toolCalls.length && { tool_calls: toolCalls }) }, finish_reason: finishReason }],
      usage,
    });
  }

  const streaming: Streaming = 'dieAfterChunks' in reply ? {} : reply;
  const chunk = (delta: object, finish: string | null = null) =>
    ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] });
  startSse(res);
  if (!(await pause(res, streaming.firstTokenDelayMs))) return;
  writeData(res, chunk({ role: 'assistant', content: '' }));

  for (const [i, piece] of split(content ?? '', streaming.chunkSize).entries()) {
    if ('dieAfterChunks' in reply && i === reply.dieAfterChunks) return die(res);
    if (i > 0 && !(await pause(res, streaming.delayMs))) return;
    writeData(res, chunk({ content: piece }));
  }
  if ('dieAfterChunks' in reply) return die(res);
  for (const [index, call] of calls.entries()) {
    if (!(await pause(res, streaming.delayMs))) return;
    writeData(res, chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const piece of split(call.args, streaming.chunkSize)) {
      if (!(await pause(res, streaming.delayMs))) return;
      writeData(res, chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  }
  writeData(res, chunk({}, finishReason));
  if (body.stream_options?.include_usage && !streaming.omitUsage) writeData(res, { id, object: 'chat.completion.chunk', created, model, choices: [], usage });
  res.write('data: [DONE]\n\n');
  res.end();
}

// ---- Anthropic Messages ----

async function replyAnthropic(res: ServerResponse, body: Body, model: string, reply: Answer): Promise<void> {
  if ('error' in reply) {
    if (!reply.error.inStream) return sendError(res, 'anthropic', reply.error.status, reply.error.message, reply.error.retryAfterSec);
    startSse(res);
    writeEvent(res, 'error', { type: 'error', error: { type: errorType('anthropic', reply.error.status), message: reply.error.message ?? 'error' } });
    return void res.end();
  }
  if ('rejectTools' in reply) return sendError(res, 'anthropic', 400, 'tools: this model does not support tools');
  if ('repeat' in reply) return sendError(res, 'anthropic', 500, 'the repeat reply is scripted for the OpenAI wire only');
  if ('hang' in reply) return hang(res);

  const id = `msg_${randomId()}`;
  const text = 'toolCalls' in reply ? '' : 'json' in reply ? JSON.stringify(reply.json) : reply.text;
  const calls = 'toolCalls' in reply ? reply.toolCalls.map((c) => ({ id: `toolu_${randomId()}`, name: c.name, args: argsText(c.arguments) })) : [];
  const stopReason = calls.length ? 'tool_use' : 'finishReason' in reply && reply.finishReason === 'length' ? 'max_tokens' : 'end_turn';
  const inputTokens = Math.ceil(JSON.stringify([body.system ?? '', body.messages ?? []]).length / 4);
  const outputTokens = Math.ceil((text.length + calls.reduce((n, c) => n + c.args.length, 0)) / 4);

  if (!body.stream) {
    if ('dieAfterChunks' in reply) return void res.destroy();
    return sendJson(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [
        ...(text ? [{ type: 'text', text }] : []),
        ...calls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: JSON.parse(c.args || '{}') })),
      ],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: outputTokens },
    });
  }

  const streaming: Streaming = 'dieAfterChunks' in reply ? {} : reply;
  startSse(res);
  if (!(await pause(res, streaming.firstTokenDelayMs))) return;
  writeEvent(res, 'message_start', {
    type: 'message_start',
    message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 1 } },
  });
  let index = 0;
  if (text) {
    writeEvent(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    writeEvent(res, 'ping', { type: 'ping' });
    for (const [i, piece] of split(text, streaming.chunkSize).entries()) {
      if ('dieAfterChunks' in reply && i === reply.dieAfterChunks) return die(res);
      if (i > 0 && !(await pause(res, streaming.delayMs))) return;
      writeEvent(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    }
    if ('dieAfterChunks' in reply) return die(res);
    writeEvent(res, 'content_block_stop', { type: 'content_block_stop', index: index++ });
  }
  for (const call of calls) {
    if (!(await pause(res, streaming.delayMs))) return;
    writeEvent(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } });
    // The API streams an empty input as a single empty fragment.
    for (const piece of call.args === '{}' ? [''] : split(call.args, streaming.chunkSize)) {
      if (!(await pause(res, streaming.delayMs))) return;
      writeEvent(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    writeEvent(res, 'content_block_stop', { type: 'content_block_stop', index: index++ });
  }
  writeEvent(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
  writeEvent(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

// ---- helpers ----

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

function sendError(res: ServerResponse, wire: Wire, status: number, message = `scripted error ${status}`, retryAfterSec?: number): void {
  const headers: Record<string, string> = retryAfterSec !== undefined ? { 'retry-after': String(retryAfterSec) } : {};
  const type = errorType(wire, status);
  const body =
    wire === 'openai'
      ? { error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } }
      : { type: 'error', error: { type, message } };
  sendJson(res, status, body, headers);
}

function errorType(wire: Wire, status: number): string {
  if (wire === 'openai') return status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const types: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    529: 'overloaded_error',
  };
  return types[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

function startSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
}

function writeData(res: ServerResponse, value: unknown): void {
  res.write(`data: ${JSON.stringify(value)}\n\n`);
}

function writeEvent(res: ServerResponse, event: string, value: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(value)}\n\n`);
}

/** Sends the headers (as a real server does once it accepted a request) and then nothing. */
function hang(res: ServerResponse): Promise<void> {
  startSse(res);
  return new Promise((resolve) => res.once('close', resolve));
}

/** Content chunks of `reply.repeat` until the client aborts; each write waits a turn so the server stays responsive. */
async function repeatForever(res: ServerResponse, model: string, reply: { repeat: string; delayMs?: number }): Promise<void> {
  const id = `chatcmpl-${randomId()}`;
  const created = Math.floor(Date.now() / 1000);
  startSse(res);
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!(await pause(res, reply.delayMs))) return;
    writeData(res, { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { content: reply.repeat }, finish_reason: null }] });
  }
}

/** Kills the connection once what was written has reached the kernel (destroy alone would drop it). */
function die(res: ServerResponse): Promise<void> {
  return new Promise((resolve) =>
    res.write('\n', () => {
      res.destroy();
      resolve();
    }),
  );
}

/** Waits `ms`; false when the client went away meanwhile (stop writing then). */
async function pause(res: ServerResponse, ms = 0): Promise<boolean> {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  return !res.destroyed && !res.writableEnded;
}

function split(text: string, size = 4): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += Math.max(1, size)) pieces.push(text.slice(i, i + Math.max(1, size)));
  return pieces;
}

function argsText(args: string | object): string {
  return typeof args === 'string' ? args : JSON.stringify(args);
}

function randomId(): string {
  return randomBytes(12).toString('hex');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
