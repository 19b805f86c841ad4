/**
 * Conversations through the official SDK: a conversation is a thread (`conv_X` is `thread_X`),
 * so Assistants code and Responses code share one history during a migration.
 */
import { describe, expect, it } from 'vitest';
import { client, failure, llm, uniqueModel } from './support/client.js';

const openai = client();
const alias = (threadId: string) => `conv_${threadId.slice('thread_'.length)}`;

describe('conversations', () => {
  it('create with items and metadata, retrieve, update, delete', async () => {
    const conv = await openai.conversations.create({ metadata: { topic: 'demo' }, items: [{ type: 'message', role: 'user', content: 'Hello!' }] });
    expect(conv).toMatchObject({ object: 'conversation', metadata: { topic: 'demo' } });
    expect(conv.id).toMatch(/^conv_/);
    expect(await openai.conversations.retrieve(conv.id)).toEqual(conv);
    expect(await openai.conversations.update(conv.id, { metadata: { topic: 'changed' } })).toMatchObject({ id: conv.id, metadata: { topic: 'changed' } });
    expect(await openai.conversations.delete(conv.id)).toEqual({ id: conv.id, object: 'conversation.deleted', deleted: true });
    const gone = await failure(openai.conversations.retrieve(conv.id));
    expect(gone.status).toBe(404);
    expect(gone.error).toMatchObject({ message: `No conversation found with id '${conv.id}'.` });
  });

  it('items: create, list (paged, both orders), retrieve, delete', async () => {
    const conv = await openai.conversations.create({});
    const added = await openai.conversations.items.create(conv.id, {
      items: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'one' }] },
        { type: 'function_call_output', call_id: 'call_1', output: 'two' },
        { type: 'message', role: 'user', content: 'three' },
      ],
    });
    expect(added.data.map((i) => i.type)).toEqual(['message', 'function_call_output', 'message']);
    const asc = await openai.conversations.items.list(conv.id, { order: 'asc', limit: 2 });
    expect(asc.data.map((i) => i.id)).toEqual(added.data.slice(0, 2).map((i) => i.id));
    expect(asc.has_more).toBe(true);
    const next = await openai.conversations.items.list(conv.id, { order: 'asc', after: asc.data[1]!.id });
    expect(next.data.map((i) => i.id)).toEqual([added.data[2]!.id]);
    const desc = await openai.conversations.items.list(conv.id);
    expect(desc.data.map((i) => i.id)).toEqual(added.data.map((i) => i.id).reverse());
    expect(await openai.conversations.items.retrieve(added.data[1]!.id!, { conversation_id: conv.id })).toMatchObject({ type: 'function_call_output', call_id: 'call_1', output: 'two' });
    expect(await openai.conversations.items.delete(added.data[0]!.id!, { conversation_id: conv.id })).toMatchObject({ id: conv.id, object: 'conversation' });
    expect((await openai.conversations.items.list(conv.id)).data).toHaveLength(2);
    expect((await failure(openai.conversations.items.retrieve(added.data[0]!.id!, { conversation_id: conv.id }))).status).toBe(404);
  });

  it('responses in a conversation append their input and output; the model sees the history', async () => {
    const model = uniqueModel('conv');
    await llm().script(model, [{ text: 'Hi Ann.' }, { text: 'Your name is Ann.' }]);
    const conv = await openai.conversations.create({ items: [{ type: 'message', role: 'developer', content: 'Be kind.' }] });
    const first = await openai.responses.create({ model, conversation: conv.id, input: 'I am Ann.' });
    expect(first.conversation).toEqual({ id: conv.id });
    await openai.responses.create({ model, conversation: { id: conv.id }, input: 'What is my name?' });
    const sent = (await llm().requests(model))[1];
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'I am Ann.' },
      { role: 'assistant', content: 'Hi Ann.' },
      { role: 'user', content: 'What is my name?' },
    ]);
    const items = (await openai.conversations.items.list(conv.id, { order: 'asc' })).data;
    expect(items.map((i) => (i.type === 'message' ? i.role : i.type))).toEqual(['developer', 'user', 'assistant', 'user', 'assistant']);
    expect(items[2]).toMatchObject({ id: first.output[0]!.id, content: [{ type: 'output_text', text: 'Hi Ann.' }] });
  });

  it('a thread made by the Assistants API is a conversation, and a conversation is a thread', async () => {
    const model = uniqueModel('mixed');
    await llm().script(model, [{ text: 'From a run.' }, { text: 'From a response.' }]);
    const assistant = await openai.beta.assistants.create({ model });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Hello thread' }] });
    await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
    const conv = await openai.conversations.retrieve(alias(thread.id));
    expect(conv.id).toBe(alias(thread.id));
    const items = (await openai.conversations.items.list(conv.id, { order: 'asc' })).data;
    expect(items).toMatchObject([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello thread' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'From a run.' }] },
    ]);
    // …and a response in it shows up as a thread message too.
    await openai.responses.create({ model, conversation: conv.id, input: 'And now?' });
    const messages = (await openai.beta.threads.messages.list(thread.id, { order: 'asc' })).data;
    expect(messages.map((m) => [m.role, (m.content[0] as { text: { value: string } }).text.value])).toEqual([
      ['user', 'Hello thread'],
      ['assistant', 'From a run.'],
      ['user', 'And now?'],
      ['assistant', 'From a response.'],
    ]);
    // A conversation is retrievable as a thread by either id.
    const created = await openai.conversations.create({});
    expect((await openai.beta.threads.retrieve(`thread_${created.id.slice('conv_'.length)}`)).id).toBe(`thread_${created.id.slice('conv_'.length)}`);
  });

  it('bad input: 400 with param, 404 for an unknown conversation', async () => {
    const conv = await openai.conversations.create({});
    const tooMany = await failure(openai.conversations.items.create(conv.id, { items: Array.from({ length: 21 }, () => ({ type: 'message' as const, role: 'user' as const, content: 'x' })) }));
    expect(tooMany.status).toBe(400);
    expect((tooMany.error as { param: string }).param).toBe('items');
    const badRole = await failure(openai.conversations.create({ items: [{ type: 'message', role: 'robot' as never, content: 'x' }] }));
    expect(badRole.status).toBe(400);
    expect((await failure(openai.responses.create({ model: 'm', input: 'x', conversation: 'conv_missing' }))).status).toBe(404);
    const both = await failure(openai.responses.create({ model: 'm', input: 'x', conversation: conv.id, previous_response_id: 'resp_x' }));
    expect(both.status).toBe(400);
    expect((both.error as { param: string }).param).toBe('conversation');
    expect((await openai.conversations.items.list(conv.id)).data).toHaveLength(0);
  });
});
