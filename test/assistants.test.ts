import { describe, expect, it } from 'vitest';
import { client, failure, getJson } from './support/client.js';
import { weatherTool } from './support/runs.js';

const openai = client();
describe('assistants', () => {
  it('creates, retrieves, modifies and deletes an assistant with OpenAI shapes', async () => {
    const created = await openai.beta.assistants.create({
      model: 'Intel/neural-chat-7b-v3-2',
      name: 'Weather Bot',
      instructions: 'You are a weather bot. Use the provided functions to answer questions.',
      tools: [weatherTool],
      metadata: { team: 'weather' },
    });
    expect(created).toMatchObject({
      object: 'assistant',
      name: 'Weather Bot',
      description: null,
      model: 'Intel/neural-chat-7b-v3-2',
      tools: [{ type: 'function', function: { ...weatherTool.function, strict: false } }],
      metadata: { team: 'weather' },
      temperature: 1,
      top_p: 1,
      response_format: 'auto',
    });
    expect(created.id).toMatch(/^asst_[0-9A-Za-z]{24}$/);
    expect(Number.isInteger(created.created_at)).toBe(true);
    expect(Math.abs(created.created_at - Date.now() / 1000)).toBeLessThan(60);

    expect(await openai.beta.assistants.retrieve(created.id)).toEqual(created);

    const modified = await openai.beta.assistants.update(created.id, { name: 'Weather Bot 2', description: 'd', metadata: {} , temperature: 0.2 });
    expect(modified).toMatchObject({ id: created.id, name: 'Weather Bot 2', description: 'd', metadata: {}, temperature: 0.2, tools: created.tools });
    const cleared = await openai.beta.assistants.update(created.id, { description: null });
    expect(cleared.description).toBeNull();
    expect(cleared.name).toBe('Weather Bot 2');

    expect(await openai.beta.assistants.delete(created.id)).toEqual({ id: created.id, object: 'assistant.deleted', deleted: true });
    const gone = await failure(openai.beta.assistants.retrieve(created.id));
    expect(gone.status).toBe(404);
    expect(gone.error).toEqual({ message: `No assistant found with id '${created.id}'.`, type: 'invalid_request_error', param: null, code: null });
    expect((await failure(openai.beta.assistants.delete(created.id))).status).toBe(404);
  });

  // Exact page shapes are asserted on a thread's messages (test/messages.test.ts), where other
  // test files cannot add rows concurrently; here the pager over a shared list.
  it('the SDK auto-pager walks every page, also when deleting as it goes', async () => {
    const tag = `page-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await openai.beta.assistants.create({ model: 'm', name: `${tag}-${i}` })).id);
    const all: string[] = [];
    for await (const a of openai.beta.assistants.list({ limit: 2, order: 'asc', after: ids[0] })) if (ids.includes(a.id)) all.push(a.id);
    expect(all).toEqual(ids.slice(1));

    const desc: string[] = [];
    for await (const a of openai.beta.assistants.list({ limit: 3 })) if (ids.includes(a.id)) desc.push(a.id);
    expect(desc).toEqual([...ids].reverse());

    // the next request's cursor is an object deleted meanwhile
    const seen: string[] = [];
    for await (const a of openai.beta.assistants.list({ limit: 2, order: 'asc', after: ids[0] })) {
      if (!ids.includes(a.id)) continue;
      seen.push(a.id);
      await openai.beta.assistants.delete(a.id);
    }
    expect(seen).toEqual(ids.slice(1));
    await openai.beta.assistants.delete(ids[0]!);
  });

  it('an empty page has null cursors and has_more false', async () => {
    expect(await getJson('/assistants?order=asc&before=asst_0000000000000000000000000')).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it.each([
    [{ limit: 0 }, 'limit', "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead."],
    [{ limit: 101 }, 'limit', "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 instead."],
    [{ order: 'sideways' }, 'order', "Invalid value: \"sideways\". Supported values are: 'asc', 'desc'."],
  ])('rejects list query %j', async (query, param, message) => {
    const err = await failure(openai.beta.assistants.list(query as never));
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ param, message, type: 'invalid_request_error' });
  });

  it.each([
    ['missing model', {}, 'model', "Missing required parameter: 'model'."],
    ['name too long', { model: 'm', name: 'x'.repeat(257) }, 'name', "Invalid 'name': string too long. Expected a string with maximum length 256, but got a string with length 257 instead."],
    ['description too long', { model: 'm', description: 'x'.repeat(513) }, 'description', undefined],
    ['17 metadata pairs', { model: 'm', metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata', "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with 17 properties instead."],
    ['metadata key of 65', { model: 'm', metadata: { ['k'.repeat(65)]: 'v' } }, 'metadata', undefined],
    ['metadata value of 513', { model: 'm', metadata: { k: 'v'.repeat(513) } }, 'metadata.k', undefined],
    ['metadata number value', { model: 'm', metadata: { k: 1 } }, 'metadata.k', "Invalid type for 'metadata.k': expected a string, but got an integer instead."],
    ['unknown tool type', { model: 'm', tools: [{ type: 'browser' }] }, 'tools[0].type', undefined],
    ['bad function name', { model: 'm', tools: [{ type: 'function', function: { name: 'has space' } }] }, 'tools[0].function.name', undefined],
    ['temperature 3', { model: 'm', temperature: 3 }, 'temperature', undefined],
    ['unknown parameter', { model: 'm', file_ids: [] }, 'file_ids', 'Unrecognized request argument supplied: file_ids'],
    ['two vector stores', { model: 'm', tool_resources: { file_search: { vector_store_ids: ['vs_1', 'vs_2'] } } }, 'tool_resources.file_search.vector_store_ids', undefined],
  ])('rejects %s with a 400 naming the parameter', async (_label, body, param, message) => {
    const err = await failure(openai.beta.assistants.create(body as never));
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ type: 'invalid_request_error', param });
    if (message) expect((err.error as { message: string }).message).toBe(message);
  });

  it('accepts the limits themselves', async () => {
    const a = await openai.beta.assistants.create({
      model: 'm',
      name: 'x'.repeat(256),
      metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${'k'.repeat(62)}${i}`.slice(-64), 'v'.repeat(512)])),
      tools: Array.from({ length: 128 }, (_, i) => ({ type: 'function' as const, function: { name: `f${i}` } })),
    });
    expect(a.tools).toHaveLength(128);
    expect(Object.keys(a.metadata!)).toHaveLength(16);
    await openai.beta.assistants.delete(a.id);
  });
});
