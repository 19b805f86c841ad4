/**
 * Vector stores against time and process death: a store expires on a durable timer, later
 * when it was used meanwhile; an ingestion whose worker is SIGKILLed mid-embedding is retried
 * on another worker and the file completes once, with one set of chunks, nothing published
 * before. Each test starts its own API (and, for the kill, workers on queues of its own).
 */
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { encode } from 'gpt-tokenizer';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { vectorStoreExpiryWorkflowId } from '../workflows/vector-store-expiry.js';
import { ingestWorkflowId } from '../workflows/ingest.js';
import { client, failure, uniqueModel } from './support/client.js';
import { sql } from './support/db.js';
import { startForTest } from './support/services.js';

const env = inject('serviceEnv');
let temporal: TemporalClient;
beforeAll(async () => {
  temporal = new TemporalClient({ connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS! }) });
});
afterAll(() => temporal?.connection.close());

const workflowStatus = async (workflowId: string) => (await temporal.workflow.getHandle(workflowId).describe()).status.name;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const chunkRows = (vectorStoreId: string, fileId: string) =>
  sql<{ seq: number }>('SELECT seq FROM chunks WHERE vector_store_id = $1 AND file_id = $2 ORDER BY seq', [vectorStoreId, fileId]);

/** Every payload's bytes in a workflow history (inputs, results, heartbeat details), end to end. */
function payloadBytes(history: unknown): Buffer {
  const found: Uint8Array[] = [];
  const walk = (v: unknown) => {
    if (v instanceof Uint8Array) found.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(history);
  return Buffer.concat(found);
}

/** Polls the store until `done`, or fails after `ms`. */
async function waitStore(openai: OpenAI, id: string, done: (s: OpenAI.VectorStore) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const store = await openai.vectorStores.retrieve(id);
    if (done(store)) return store;
    if (Date.now() > deadline) throw new Error(`vector store ${id} still ${store.status}`);
    await sleep(200);
  }
}

describe('vector store expiry', { timeout: 180_000 }, () => {
  it('expires at last_active_at + days; use postpones it; dropping the policy ends its timer', async () => {
    // A "day" of 3 s; the timers' activity runs on the suite's worker.
    const api = await startForTest('api', { VECTOR_STORE_DAY_SECONDS: '3', API_WORKER: 'false' });
    const openai = client(api.url);
    const soon = await openai.vectorStores.create({ name: 'soon', expires_after: { anchor: 'last_active_at', days: 1 } });
    const used = await openai.vectorStores.create({ name: 'used', expires_after: { anchor: 'last_active_at', days: 2 } });
    const kept = await openai.vectorStores.create({ name: 'kept', expires_after: { anchor: 'last_active_at', days: 1 } });
    expect(soon).toMatchObject({ status: 'completed', expires_after: { anchor: 'last_active_at', days: 1 }, expires_at: soon.last_active_at! + 3 });
    expect(await workflowStatus(vectorStoreExpiryWorkflowId(soon.id))).toBe('RUNNING');

    expect(await openai.vectorStores.update(kept.id, { expires_after: null })).toMatchObject({ expires_at: null });
    expect(await workflowStatus(vectorStoreExpiryWorkflowId(kept.id))).toBe('TERMINATED');

    // Used (a file attached) after 3 s: its 6 s start again from then.
    await sleep(3_000);
    const file = await openai.files.create({ file: await toFile(Buffer.from('A file that keeps its store alive.'), 'alive.txt'), purpose: 'assistants' });
    await openai.vectorStores.files.create(used.id, { file_id: file.id });
    const touched = await openai.vectorStores.retrieve(used.id);
    expect(touched.last_active_at).toBeGreaterThan(used.last_active_at!);
    expect(touched.expires_at).toBe(touched.last_active_at! + 6);

    const expired = await waitStore(openai, soon.id, (s) => s.status === 'expired');
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(soon.expires_at!);
    expect(expired.file_counts.total).toBe(0);
    // Past its first expires_at, the used store is still there.
    while (Date.now() / 1000 < used.expires_at! + 1) await sleep(200);
    expect((await openai.vectorStores.retrieve(used.id)).status).not.toBe('expired');
    await waitStore(openai, used.id, (s) => s.status === 'expired');
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(touched.expires_at!);
    await expect.poll(() => workflowStatus(vectorStoreExpiryWorkflowId(used.id)), { timeout: 10_000 }).toBe('COMPLETED');

    // An expired store is read, listed and deleted, but takes no files and no assistant.
    const refused = await failure(openai.vectorStores.files.create(soon.id, { file_id: file.id }));
    expect(refused.status).toBe(400);
    expect(refused.error).toMatchObject({ message: `Vector store '${soon.id}' has expired and can no longer be used.`, code: 'vector_store_expired' });
    const assistant = await failure(openai.beta.assistants.create({ model: 'm', tool_resources: { file_search: { vector_store_ids: [soon.id] } } }));
    expect(assistant.error).toMatchObject({ param: 'tool_resources.file_search.vector_store_ids[0]', code: 'vector_store_expired' });
    expect((await openai.vectorStores.retrieve(kept.id)).status).toBe('completed');
    for (const s of [soon, used, kept]) await openai.vectorStores.delete(s.id);
  });

  it('deleting a store ends its timer', async () => {
    const api = await startForTest('api', { API_WORKER: 'false' });
    const openai = client(api.url);
    const store = await openai.vectorStores.create({ expires_after: { anchor: 'last_active_at', days: 365 } });
    expect(await workflowStatus(vectorStoreExpiryWorkflowId(store.id))).toBe('RUNNING');
    await openai.vectorStores.delete(store.id);
    expect(await workflowStatus(vectorStoreExpiryWorkflowId(store.id))).toBe('TERMINATED');
  });
});

describe('ingestion survives its worker', { timeout: 240_000 }, () => {
  it('a worker SIGKILLed mid-embedding: another finishes the file, once, with one set of chunks', async () => {
    const q = uniqueModel('ingest-q');
    const queues = { TEMPORAL_TASK_QUEUE: q, TEMPORAL_INGEST_TASK_QUEUE: `${q}-ingest`, API_WORKER: 'false' };
    const api = await startForTest('api', queues);
    const first = await startForTest('worker', queues);
    const openai = client(api.url);

    // 100-token chunks: about 60 of them, four embedding requests or so.
    const words: string[] = [];
    while (encode(words.join(' ')).length < 6_000) words.push(`beacon${words.length} tide${words.length % 13}`);
    const text = words.join(' ');
    const expected = Math.ceil(encode(text).length / 100);
    const file = await openai.files.create({ file: await toFile(Buffer.from(text), 'long.txt'), purpose: 'assistants' });
    const store = await openai.vectorStores.create({ name: 'durable' });
    await openai.vectorStores.files.create(store.id, { file_id: file.id, chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } } });

    const deadline = Date.now() + 60_000;
    while (!first.output().includes('"msg":"embedding chunks"')) {
      if (Date.now() > deadline) throw new Error(`no progress from the worker:\n${first.output()}`);
      await sleep(100);
    }
    await first.stop(true);
    // Nothing of a file is visible before it is published whole.
    expect(await chunkRows(store.id, file.id)).toEqual([]);
    expect(await openai.vectorStores.files.retrieve(file.id, { vector_store_id: store.id })).toMatchObject({ status: 'in_progress' });
    expect(await openai.vectorStores.retrieve(store.id)).toMatchObject({ status: 'in_progress', file_counts: { in_progress: 1 } });

    const second = await startForTest('worker', queues);
    const done = await openai.vectorStores.files.poll(store.id, file.id);
    expect(done).toMatchObject({ status: 'completed', last_error: null });
    const rows = await chunkRows(store.id, file.id);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: expected }, (_, i) => i));
    // The publish commits inside the activity; the workflow completes just after.
    await expect.poll(() => workflowStatus(ingestWorkflowId({ vectorStoreId: store.id, fileId: file.id })), { timeout: 10_000 }).toBe('COMPLETED');
    await expect.poll(() => second.output(), { timeout: 5_000 }).toMatch(/"attempt":2,[^\n]*"msg":"file indexed"/);
    expect(first.output()).not.toContain('"msg":"file indexed"');
    // Only ids passed through the workflow's history: no text, no vectors.
    const payloads = payloadBytes(await temporal.workflow.getHandle(ingestWorkflowId({ vectorStoreId: store.id, fileId: file.id })).fetchHistory());
    expect(payloads.toString()).toContain(file.id);
    expect(payloads.toString()).not.toContain('beacon1 ');
    expect(payloads.length).toBeLessThan(4_000);
  });
});
