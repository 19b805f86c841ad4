/**
 * No input reaches a 500 (src/http/input-guard.ts): every endpoint, driven over raw HTTP with
 * strings Postgres cannot store (NUL, unpaired surrogates) in values, keys, cursors and path
 * ids, integers past a column's range, `__proto__` keys and deep nesting, answers an
 * OpenAI-shaped 4xx and writes nothing. Then the malformed bodies that used to be misread.
 */
import fc from 'fast-check';
import { toFile } from 'openai';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { client, llm, uniqueModel } from './support/client.js';
import { sql } from './support/db.js';

const base = inject('apiUrl');
const openai = client();

async function send(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: 'Bearer EMPTY', 'openai-beta': 'assistants=v2', 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

function expectOpenAIError(res: { status: number; body: any }) {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(res.body.error.type).toBe('invalid_request_error');
}

/** Put in every body the tests send, so a row (or a change) any of them wrote can be found. */
const MARK = `guard${process.pid}x${Date.now()}`;
const TABLES = ['assistants', 'threads', 'messages', 'runs', 'run_steps', 'vector_stores'];
/** Rows carrying the mark: none, if nothing was written. */
async function written(): Promise<number> {
  const [row] = await sql<{ n: number }>(`SELECT ${TABLES.map((t) => `(SELECT count(*)::int FROM ${t} WHERE row_to_json(${t})::text LIKE $1)`).join(' + ')} AS n`, [`%${MARK}%`]);
  return row!.n;
}

/** A string Postgres cannot store: a NUL or an unpaired surrogate somewhere in ordinary text. */
const unstorable = fc
  .tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u0000', '\ud800', '\udfff', '\udbff'), fc.string({ maxLength: 8 }))
  .map(([a, bad, b]) => a + bad + b);
/** An integer no `integer` column holds, up to where JSON numbers stop being exact. */
const hugeInt = fc.oneof(fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -(2 ** 31) - 1 }));

let ids: { assistant: string; thread: string; message: string; run: string; store: string; file: string };

beforeAll(async () => {
  const model = uniqueModel('guard');
  await llm().script(model, [{ text: 'ok' }]);
  const assistant = await openai.beta.assistants.create({ model });
  const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
  const [message] = (await openai.beta.threads.messages.list(thread.id)).data;
  const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 100 });
  expect(run.status).toBe('completed');
  const store = await openai.vectorStores.create({ name: 'guard' });
  const file = await openai.files.create({ file: await toFile(Buffer.from('guarded'), 'guard.txt'), purpose: 'assistants' });
  ids = { assistant: assistant.id, thread: thread.id, message: message!.id, run: run.id, store: store.id, file: file.id };
});

/** Every JSON endpoint, each with a body that would otherwise be accepted, to plant the bad value in. */
const bodyEndpoints = (m = MARK) => [
  { path: '/assistants', body: { model: 'm', name: m, instructions: m, metadata: { k: m, m } } },
  { path: `/assistants/${ids.assistant}`, body: { name: m, metadata: { k: m, m } } },
  { path: '/threads', body: { metadata: { k: m, m }, messages: [{ role: 'user', content: m }] } },
  { path: `/threads/${ids.thread}`, body: { metadata: { k: m, m } } },
  { path: `/threads/${ids.thread}/messages`, body: { role: 'user', content: m, metadata: { k: m, m } } },
  { path: `/threads/${ids.thread}/messages/${ids.message}`, body: { metadata: { k: m, m } } },
  { path: `/threads/${ids.thread}/runs`, body: { assistant_id: ids.assistant, instructions: m, max_prompt_tokens: 1000, metadata: { m } } },
  { path: '/threads/runs', body: { assistant_id: ids.assistant, thread: { messages: [{ role: 'user', content: m }] }, max_completion_tokens: 1000, metadata: { m } } },
  { path: `/threads/${ids.thread}/runs/${ids.run}`, body: { metadata: { k: m, m } } },
  { path: `/threads/${ids.thread}/runs/${ids.run}/submit_tool_outputs`, body: { tool_outputs: [{ tool_call_id: 'call_1', output: m }] } },
  { path: '/vector_stores', body: { name: m, metadata: { k: m, m }, expires_after: { anchor: 'last_active_at', days: 7 } } },
  { path: `/vector_stores/${ids.store}`, body: { name: m, metadata: { k: m, m } } },
  { path: `/vector_stores/${ids.store}/files`, body: { file_id: ids.file, chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } } } },
  { path: `/vector_stores/${ids.store}/file_batches`, body: { file_ids: [ids.file], chunking_strategy: { type: 'auto' } } },
];

/** Every leaf and key position of a body, as a path to set. */
function positions(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [path];
  return [path, ...Object.entries(value).flatMap(([k, v]) => positions(v, [...path, Array.isArray(value) ? Number(k) : k]))];
}

/** `body` with `bad` at `path` (as the value, or as a new key beside it when `asKey`). */
function plant(body: unknown, path: (string | number)[], bad: unknown, asKey: boolean): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  if (path.length === 0) return asKey && typeof bad === 'string' ? { ...copy, [bad]: 'x' } : bad;
  let parent = copy;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  const target = parent[last];
  // A key goes into an object; an array has none that JSON would send.
  if (asKey && typeof bad === 'string' && target !== null && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, unknown>)[bad] = 'x';
  else parent[last] = bad;
  return copy;
}

const RUNS = { numRuns: 100 };

describe('no input reaches a 500', () => {
  it('bodies: unstorable strings as any value or key, huge integers anywhere', async () => {
    const endpoint = fc.constantFrom(...bodyEndpoints());
    await fc.assert(
      fc.asyncProperty(endpoint, fc.nat(), fc.oneof(unstorable, hugeInt), fc.boolean(), async (e, pick, bad, asKey) => {
        const all = positions(e.body);
        const body = plant(e.body, all[pick % all.length]!, bad, asKey);
        const res = await send('POST', e.path, JSON.stringify(body));
        expectOpenAIError(res);
      }),
      RUNS,
    );
    expect(await written()).toBe(0);
  });

  it('cursors and path ids: unstorable strings in every list query and path segment', async () => {
    const lists = ['/assistants', `/threads/${ids.thread}/messages`, `/threads/${ids.thread}/runs`, `/threads/${ids.thread}/runs/${ids.run}/steps`, '/vector_stores', `/vector_stores/${ids.store}/files`];
    const paths = (bad: string) => [
      ['GET', `/assistants/${bad}`],
      ['POST', `/assistants/${bad}`],
      ['DELETE', `/assistants/${bad}`],
      ['GET', `/threads/${bad}`],
      ['DELETE', `/threads/${bad}`],
      ['GET', `/threads/${ids.thread}/messages/${bad}`],
      ['DELETE', `/threads/${bad}/messages/${ids.message}`],
      ['GET', `/threads/${ids.thread}/runs/${bad}`],
      ['POST', `/threads/${ids.thread}/runs/${bad}/cancel`],
      ['GET', `/threads/${ids.thread}/runs/${ids.run}/steps/${bad}`],
      ['GET', `/vector_stores/${bad}`],
      ['DELETE', `/vector_stores/${ids.store}/files/${bad}`],
      ['GET', `/vector_stores/${ids.store}/file_batches/${bad}/files`],
    ];
    const nul = fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}\u0000${b}`);
    await fc.assert(
      fc.asyncProperty(nul, fc.constantFrom(...lists), fc.constantFrom('after', 'before', 'run_id'), fc.nat(), async (bad, list, cursor, pick) => {
        const query = await send('GET', `${list}?${cursor}=${encodeURIComponent(bad)}`);
        expectOpenAIError(query);
        const all = paths(encodeURIComponent(bad));
        const [method, path] = all[pick % all.length]!;
        const res = await send(method!, path!, method === 'POST' ? '{}' : undefined);
        expectOpenAIError(res);
      }),
      RUNS,
    );
    expect(await written()).toBe(0);
  });

  it('names the offending field', async () => {
    const res = await send('POST', '/threads', JSON.stringify({ metadata: { k: 'a\u0000b', m: MARK } }));
    expectOpenAIError(res);
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('metadata.k');
    expect((await send('GET', '/assistants?after=a%00')).body.error.param).toBe('after');
    expect((await send('GET', '/assistants/asst_%00')).body.error.param).toBe('assistant_id');
    expect((await send('POST', '/threads', '{"metadata":{"\\ud800":"x"}}')).body.error.param).toBe('metadata.\ud800');
    const big = await send('POST', `/threads/${ids.thread}/runs`, JSON.stringify({ assistant_id: ids.assistant, max_prompt_tokens: 2 ** 40 }));
    expect(big.status).toBe(400);
    expect(big.body.error).toMatchObject({ param: 'max_prompt_tokens', code: 'integer_above_max_value' });
  });

  it('refuses `__proto__` keys by name, as valid JSON', async () => {
    for (const body of [`{"__proto__": {"x": 1}, "metadata": {"m": "${MARK}"}}`, `{"metadata": {"__proto__": "x", "m": "${MARK}"}}`, `{"messages": [{"role": "user", "content": "${MARK}", "__proto__": null}]}`]) {
      const res = await send('POST', '/threads', body);
      expectOpenAIError(res);
      expect(res.body.error.message).toContain("'__proto__'");
    }
    expect(await written()).toBe(0);
  });

  it('takes 100 levels of nesting in a tool schema and refuses 128, with a 400', async () => {
    const nested = (depth: number) => {
      let schema: Record<string, unknown> = { type: 'string' };
      for (let i = 0; i < depth; i++) schema = { type: 'object', properties: { x: schema } };
      return schema;
    };
    const tool = (depth: number) => ({ model: 'm', name: MARK, tools: [{ type: 'function', function: { name: 'f', parameters: nested(depth / 2) } }] });
    const ok = await send('POST', '/assistants', JSON.stringify({ ...tool(100), name: 'deep' }));
    expect(ok.status).toBe(200);
    await openai.beta.assistants.delete(ok.body.id);
    const deep = await send('POST', '/assistants', JSON.stringify(tool(128)));
    expectOpenAIError(deep);
    expect(deep.body.error.param).toMatch(/^tools\[0\]\.function\.parameters/);
    const format = await send('POST', '/assistants', JSON.stringify({ model: 'm', name: MARK, response_format: { type: 'json_schema', json_schema: { name: 'n', schema: nested(64) } } }));
    expectOpenAIError(format);
    expect(await written()).toBe(0);
  });

  it('refuses a form or multipart body on a JSON endpoint instead of reading it as {}', async () => {
    const form = await send('POST', '/threads', `metadata[k]=${MARK}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expectOpenAIError(form);
    expect(form.body.error.code).toBe('unsupported_content_type');
    const data = new FormData();
    data.set('model', 'm');
    data.set('name', MARK);
    const multipart = await fetch(`${base}/assistants`, { method: 'POST', headers: { authorization: 'Bearer EMPTY' }, body: data });
    expectOpenAIError({ status: multipart.status, body: await multipart.json() });
    expect(await written()).toBe(0);
  });
});
