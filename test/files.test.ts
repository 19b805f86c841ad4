/**
 * The Files API through the official SDK on the real stack: uploads stream into SeaweedFS,
 * rows land in Postgres, expiry runs on a Temporal timer. Some tests start their own API
 * (a small MAX_FILE_BYTES on a bucket of its own, so "nothing left in S3" can be checked; a
 * short FILE_MIN_EXPIRY_SECONDS; its pid for the memory check).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI, { toFile } from 'openai';
import { describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { readFileBytes } from '../src/services/file-content.js';
import { objectStore, s3Client } from '../src/storage.js';
import { client, failure } from './support/client.js';

const env = inject('serviceEnv');
const openai = client();
const s3 = s3Client(env.S3_ENDPOINT!, env.S3_ACCESS_KEY!, env.S3_SECRET_KEY!);

let n = 0;
const uniqueName = (ext = 'txt') => `upload-${process.pid}-${Date.now()}-${n++}.${ext}`;

async function objectExists(bucket: string, id: string): Promise<boolean> {
  try {
    await s3.statObject(bucket, `files/${id}`);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFound') return false;
    throw err;
  }
}

describe('files', () => {
  it('uploads, retrieves, lists, downloads and deletes a file', async () => {
    const filename = uniqueName();
    const file = await openai.files.create({ file: await toFile(Buffer.from('hello, files'), filename, { type: 'text/plain' }), purpose: 'assistants' });
    expect(file).toEqual({
      id: expect.stringMatching(/^file-[0-9a-zA-Z]{24}$/),
      object: 'file',
      bytes: 12,
      created_at: expect.any(Number),
      expires_at: null,
      filename,
      purpose: 'assistants',
      status: 'processed',
      status_details: null,
    });
    expect(Math.abs(file.created_at - Date.now() / 1000)).toBeLessThan(60);
    expect(await openai.files.retrieve(file.id)).toEqual(file);
    const listed = await openai.files.list({ purpose: 'assistants' });
    expect(listed.data.find((f) => f.id === file.id)).toEqual(file);

    const content = await openai.files.content(file.id);
    expect(content.headers.get('content-type')).toBe('text/plain');
    expect(content.headers.get('content-disposition')).toContain(filename);
    expect(await content.text()).toBe('hello, files');

    expect(await openai.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    expect(await objectExists(env.S3_BUCKET_NAME!, file.id)).toBe(false);
    for (const gone of [() => openai.files.retrieve(file.id), () => openai.files.content(file.id), () => openai.files.delete(file.id)]) {
      const err = await failure(gone());
      expect(err.status).toBe(404);
      expect(err.error).toEqual({ message: `No such File object: ${file.id}`, type: 'invalid_request_error', param: 'id', code: null });
    }
  });

  it('takes fs.createReadStream, keeps a UTF-8 filename, and serves every purpose', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'files-test-'));
    try {
      const local = path.join(dir, 'résumé ✓.md');
      await writeFile(local, '# notes\n');
      for (const purpose of ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] as const) {
        const file = await openai.files.create({ file: createReadStream(local), purpose });
        expect(file).toMatchObject({ filename: 'résumé ✓.md', purpose, bytes: 8, status: 'processed' });
        expect(await (await openai.files.content(file.id)).text()).toBe('# notes\n');
        await openai.files.delete(file.id);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('files.waitForProcessing returns the processed file', async () => {
    const file = await openai.files.create({ file: await toFile(Buffer.from('x'), uniqueName()), purpose: 'assistants' });
    const started = Date.now();
    expect(await openai.files.waitForProcessing(file.id)).toEqual(file);
    // It polls every 5 s until `status` is terminal: answered by the first retrieve.
    expect(Date.now() - started).toBeLessThan(4000);
    await openai.files.delete(file.id);
  });

  it('pages with after, in either order, filtered by purpose', async () => {
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) mine.push((await openai.files.create({ file: await toFile(Buffer.from(`page ${i}`), uniqueName()), purpose: 'vision' })).id);
    const seen = async (query: OpenAI.FileListParams) => {
      const ids: string[] = [];
      for await (const f of openai.files.list(query)) {
        expect(f.purpose).toBe('vision');
        if (mine.includes(f.id)) ids.push(f.id);
      }
      return ids;
    };
    expect(await seen({ purpose: 'vision', limit: 2 })).toEqual([...mine].reverse());
    expect(await seen({ purpose: 'vision', limit: 2, order: 'asc' })).toEqual(mine);

    const page = await openai.files.list({ purpose: 'vision', order: 'asc', after: mine[1], limit: 2 });
    expect(page.data.map((f) => f.id)).toEqual(mine.slice(2, 4));
    expect(page.has_more).toBe(true);
    const raw = (await (await fetch(`${inject('apiUrl')}/v1/files?purpose=vision&order=asc&after=${mine[3]}&limit=10`)).json()) as Record<string, unknown>;
    expect(raw).toMatchObject({ object: 'list', first_id: mine[4], last_id: mine[4], has_more: false });

    for (const limit of [0, 10_001]) {
      const err = await failure(openai.files.list({ limit }));
      expect(err.status).toBe(400);
      expect(err.error).toMatchObject({ param: 'limit' });
    }
    for (const id of mine) await openai.files.delete(id);
  });

  it('readFileBytes reads a file by id for other code (vector stores, the code interpreter)', async () => {
    const bytes = randomBytes(100_000);
    const file = await openai.files.create({ file: await toFile(bytes, uniqueName('bin')), purpose: 'assistants' });
    const db = createDb(inject('databaseUrl'), 1);
    try {
      const store = { db, storage: objectStore(loadConfig(env).s3, env.S3_ENDPOINT!) };
      expect((await readFileBytes(store, file.id)).equals(bytes)).toBe(true);
      await openai.files.delete(file.id);
      await expect(readFileBytes(store, file.id)).rejects.toThrow(`No such File object: ${file.id}`);
    } finally {
      await db.$disconnect();
    }
  });
});
