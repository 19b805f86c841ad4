import { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { client, failure, getJson } from './support/client.js';
import { messagesContaining, sql } from './support/db.js';

const openai = client();
const text = (m: { content: unknown[] }) => (m.content[0] as { text: { value: string } }).text.value;

describe('threads', () => {
  it('creates a thread with initial messages, tool_resources and metadata; retrieves, modifies, deletes', async () => {
    const thread = await openai.beta.threads.create({
      messages: [
        { role: 'user', content: 'first', metadata: { n: '1' } },
        { role: 'assistant', content: [{ type: 'text', text: 'second' }] },
        { role: 'user', content: [{ type: 'text', text: 'third' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
      ],
      tool_resources: { code_interpreter: { file_ids: ['file-abc'] } },
      metadata: { user: 'u1' },
    });
    expect(thread).toMatchObject({ object: 'thread', tool_resources: { code_interpreter: { file_ids: ['file-abc'] } }, metadata: { user: 'u1' } });
    expect(thread.id).toMatch(/^thread_[0-9A-Za-z]{24}$/);

    const messages = await openai.beta.threads.messages.list(thread.id, { order: 'asc' });
    expect(messages.data.map(text)).toEqual(['first', 'second', 'third']);
    expect(messages.data[0]).toMatchObject({
      object: 'thread.message',
      thread_id: thread.id,
      role: 'user',
      status: 'completed',
      content: [{ type: 'text', text: { value: 'first', annotations: [] } }],
      assistant_id: null,
      run_id: null,
      attachments: [],
      metadata: { n: '1' },
      incomplete_details: null,
    });
    expect(messages.data[1]!.role).toBe('assistant');
    expect(messages.data[2]!.content[1]).toEqual({ type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'auto' } });

    expect(await openai.beta.threads.retrieve(thread.id)).toEqual(thread);
    const modified = await openai.beta.threads.update(thread.id, { metadata: { user: 'u2', extra: 'x' } });
    expect(modified.metadata).toEqual({ user: 'u2', extra: 'x' });
    expect(modified.tool_resources).toEqual(thread.tool_resources);

    expect(await openai.beta.threads.delete(thread.id)).toEqual({ id: thread.id, object: 'thread.deleted', deleted: true });
    expect((await failure(openai.beta.threads.retrieve(thread.id))).status).toBe(404);
    const gone = await failure(openai.beta.threads.messages.retrieve(messages.data[0]!.id, { thread_id: thread.id }));
    expect(gone.status).toBe(404);
    // deleting a thread deletes its messages
    expect(await sql('SELECT count(*)::int AS n FROM messages WHERE thread_id = $1', [thread.id])).toEqual([{ n: 0 }]);
  });

  it('an invalid initial message creates nothing: neither thread nor messages', async () => {
    const marker = `marker-${Date.now()}-${Math.random()}`;
    const err = await failure(openai.beta.threads.create({ messages: [{ role: 'user', content: marker }, { role: 'system' as never, content: 'bad' }] }));
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ param: 'messages[1].role' });
    const err2 = await failure(openai.beta.threads.create({ messages: [{ role: 'user', content: marker }, { role: 'user', content: [] }] }));
    expect(err2.error).toMatchObject({ param: 'messages[1].content' });
    expect(await messagesContaining(marker)).toBe(0);
  });

  it('404s for unknown threads everywhere', async () => {
    const id = 'thread_doesnotexist000000000000';
    for (const call of [
      () => openai.beta.threads.retrieve(id),
      () => openai.beta.threads.update(id, { metadata: {} }),
      () => openai.beta.threads.delete(id),
      () => openai.beta.threads.messages.create(id, { role: 'user', content: 'x' }),
      () => openai.beta.threads.messages.list(id),
    ]) {
      const err = await failure(call());
      expect(err.status).toBe(404);
      expect(err.error).toMatchObject({ message: `No thread found with id '${id}'.`, type: 'invalid_request_error' });
    }
  });
});

describe('messages', () => {
  it('creates (string or parts), retrieves, modifies and deletes', async () => {
    const thread = await openai.beta.threads.create();
    const file = await openai.files.create({ file: await toFile(Buffer.from('San Francisco: fog in the morning.'), 'weather.txt'), purpose: 'assistants' });
    const m = await openai.beta.threads.messages.create(thread.id, {
      role: 'user',
      content: "What's the weather in San Francisco?",
      attachments: [{ file_id: file.id, tools: [{ type: 'file_search' }] }],
      metadata: { a: 'b' },
    });
    expect(m).toMatchObject({
      object: 'thread.message',
      thread_id: thread.id,
      role: 'user',
      status: 'completed',
      content: [{ type: 'text', text: { value: "What's the weather in San Francisco?", annotations: [] } }],
      attachments: [{ file_id: file.id, tools: [{ type: 'file_search' }] }],
      metadata: { a: 'b' },
      assistant_id: null,
      run_id: null,
    });
    expect(m.id).toMatch(/^msg_[0-9A-Za-z]{24}$/);
    expect(await openai.beta.threads.messages.retrieve(m.id, { thread_id: thread.id })).toEqual(m);
    const modified = await openai.beta.threads.messages.update(m.id, { thread_id: thread.id, metadata: { a: 'c' } });
    expect(modified).toEqual({ ...m, metadata: { a: 'c' } });
    expect(await openai.beta.threads.messages.delete(m.id, { thread_id: thread.id })).toEqual({ id: m.id, object: 'thread.message.deleted', deleted: true });
    const err = await failure(openai.beta.threads.messages.retrieve(m.id, { thread_id: thread.id }));
    expect(err.status).toBe(404);
    expect(err.error).toMatchObject({ message: `No message found with id '${m.id}'.` });
  });

  it('pages exactly as OpenAI: order, after, before, has_more, first_id, last_id', async () => {
    const thread = await openai.beta.threads.create();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await openai.beta.threads.messages.create(thread.id, { role: 'user', content: `m${i}` })).id);

    const first = await openai.beta.threads.messages.list(thread.id, { limit: 3 });
    expect(first.data.map((m) => m.id)).toEqual([ids[6], ids[5], ids[4]]);
    expect(first.has_more).toBe(true);
    // the envelope as sent, which the SDK's page object does not expose whole
    expect(await getJson(`/v1/threads/${thread.id}/messages?limit=3`)).toMatchObject({ object: 'list', first_id: ids[6], last_id: ids[4], has_more: true });

    const second = await openai.beta.threads.messages.list(thread.id, { limit: 3, after: ids[4] });
    expect(second.data.map((m) => m.id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(second.has_more).toBe(true);
    const last = await openai.beta.threads.messages.list(thread.id, { limit: 3, after: ids[1] });
    expect(last.data.map((m) => m.id)).toEqual([ids[0]]);
    expect(await getJson(`/threads/${thread.id}/messages?limit=3&after=${ids[1]}`)).toMatchObject({ has_more: false, first_id: ids[0], last_id: ids[0] });

    const asc = await openai.beta.threads.messages.list(thread.id, { order: 'asc', limit: 2, after: ids[1] });
    expect(asc.data.map((m) => m.id)).toEqual([ids[2], ids[3]]);

    // before: the page nearest the cursor, in the requested order
    const before = await openai.beta.threads.messages.list(thread.id, { before: ids[2], limit: 2 });
    expect(before.data.map((m) => m.id)).toEqual([ids[4], ids[3]]);
    expect(before.has_more).toBe(true);
    const beforeAsc = await openai.beta.threads.messages.list(thread.id, { before: ids[2], order: 'asc' });
    expect(beforeAsc.data.map((m) => m.id)).toEqual([ids[0], ids[1]]);
    expect(beforeAsc.has_more).toBe(false);
    const both = await openai.beta.threads.messages.list(thread.id, { after: ids[5], before: ids[1] });
    expect(both.data.map((m) => m.id)).toEqual([ids[4], ids[3], ids[2]]);

    const exact = await openai.beta.threads.messages.list(thread.id, { limit: 7 });
    expect(exact.has_more).toBe(false);
    expect((await openai.beta.threads.messages.list(thread.id)).data).toHaveLength(7);

    const all: string[] = [];
    for await (const m of openai.beta.threads.messages.list(thread.id, { limit: 2, order: 'asc' })) all.push(m.id);
    expect(all).toEqual(ids);

    expect(await getJson(`/threads/${thread.id}/messages?after=${ids[0]}`)).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it('rejects bad messages with the parameter named', async () => {
    const thread = await openai.beta.threads.create();
    const cases: [unknown, string][] = [
      [{ content: 'x' }, 'role'],
      [{ role: 'user' }, 'content'],
      [{ role: 'system', content: 'x' }, 'role'],
      [{ role: 'user', content: [] }, 'content'],
      [{ role: 'user', content: 'x'.repeat(256_001) }, 'content'],
      [{ role: 'user', content: [{ type: 'text' }] }, 'content'],
      [{ role: 'user', content: 'x', attachments: [{ tools: [] }] }, 'attachments[0].file_id'],
      [{ role: 'user', content: 'x', metadata: { k: 'v'.repeat(513) } }, 'metadata.k'],
    ];
    for (const [body, param] of cases) {
      const err = await failure(openai.beta.threads.messages.create(thread.id, body as never));
      expect(err.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect((err.error as { param: string }).param.startsWith(param), `${param} vs ${(err.error as { param: string }).param}`).toBe(true);
    }
    expect((await openai.beta.threads.messages.list(thread.id)).data).toHaveLength(0);
  });

  it('filters by run_id', async () => {
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    expect((await openai.beta.threads.messages.list(thread.id, { run_id: 'run_none' })).data).toEqual([]);
    expect((await openai.beta.threads.messages.list(thread.id)).data).toHaveLength(1);
  });
});
