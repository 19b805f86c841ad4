/**
 * `Idempotency-Key` on POSTs, as the SDKs send it with every POST and keep it across retries:
 * a repeat answers the first response without a second write; another body is refused;
 * concurrent repeats wait for the first.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { client, llm, uniqueModel } from './support/client.js';

const base = inject('apiUrl');

function post(path: string, body: unknown, key: string) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer EMPTY', 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
}

describe('Idempotency-Key', () => {
  it('a repeat with the same body answers the first response and writes nothing more', async () => {
    const key = randomUUID();
    const first = await post('/v1/threads', { metadata: { k: key } }, key);
    const again = await post('/threads', { metadata: { k: key } }, key); // same path with or without /v1
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const [a, b] = [await first.json(), await again.json()];
    expect(b).toEqual(a);
    // a different key makes a new thread
    const other = await (await post('/threads', { metadata: { k: key } }, randomUUID())).json();
    expect(other.id).not.toBe(a.id);
  });

  it('concurrent repeats wait for the first and get its answer: one write', async () => {
    const key = randomUUID();
    const body = { model: 'gpt-4o', name: `idem ${key}` };
    const responses = await Promise.all(Array.from({ length: 6 }, () => post('/assistants', body, key)));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(responses.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    const listed = await client().beta.assistants.list({ limit: 100 });
    expect(listed.data.filter((a) => a.name === body.name)).toHaveLength(1);
  });

  it('a 4xx is kept too: the repeat gets the same error', async () => {
    const key = randomUUID();
    const first = await post('/threads/thread_missing/messages', { role: 'user', content: 'x' }, key);
    const again = await post('/threads/thread_missing/messages', { role: 'user', content: 'x' }, key);
    expect([first.status, again.status]).toEqual([404, 404]);
    expect(await again.json()).toEqual(await first.json());
  });

  it('the same key with another body is refused with a 400, and the first answer stays', async () => {
    const key = randomUUID();
    const first = await (await post('/threads', { metadata: { n: '1' } }, key)).json();
    const other = await post('/threads', { metadata: { n: '2' } }, key);
    expect(other.status).toBe(400);
    expect((await other.json()).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'idempotency_key_reused',
      message: expect.stringContaining('can only be used with the same parameters'),
    });
    expect((await (await post('/threads', { metadata: { n: '1' } }, key)).json()).id).toBe(first.id);
  });

  it('keys are per API key: another caller with the same key is not answered with the first one’s thread', async () => {
    const key = randomUUID();
    const mine = await (await post('/threads', {}, key)).json();
    const theirs = await fetch(`${base}/threads`, {
      method: 'POST',
      headers: { authorization: 'Bearer someone-else', 'content-type': 'application/json', 'idempotency-key': key },
      body: '{}',
    });
    expect((await theirs.json()).id).not.toBe(mine.id);
  });

  it('a repeat of a streamed request is told the stream cannot be replayed; no second run', async () => {
    const model = uniqueModel('idem-stream');
    await llm().script(model, [{ text: 'once' }, { text: 'twice' }]);
    const assistant = await client().beta.assistants.create({ model });
    const thread = await client().beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const key = randomUUID();
    const body = { assistant_id: assistant.id, stream: true };
    const first = await post(`/threads/${thread.id}/runs`, body, key);
    expect(first.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(await first.text()).toContain('thread.run.completed');
    const again = await post(`/threads/${thread.id}/runs`, body, key);
    expect(again.status).toBe(400);
    expect((await again.json()).error.message).toContain('answered with a stream');
    expect((await client().beta.threads.runs.list(thread.id)).data).toHaveLength(1);
    expect(await llm().requests(model)).toHaveLength(1);
  });
});
