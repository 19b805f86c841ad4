/**
 * The Files API through the official SDK on the real stack: uploads stream into SeaweedFS,
 * rows land in Postgres, expiry runs on a Temporal timer. Some tests start their own API
 * (a small MAX_FILE_BYTES on a bucket of its own, so "nothing left in S3" can be checked; a
 * short FILE_MIN_EXPIRY_SECONDS; its pid for the memory check).
 */
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI, { toFile } from 'openai';
import type { FileCreateParams } from 'openai/resources/files';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { fileObjectKey } from '../src/services/file-content.js';
import { DEFAULT_PROJECT_ID } from '../src/tenancy/authenticator.js';
import { readFileBytes } from '../src/services/file-content.js';
import { objectStore, s3Client } from '../src/storage.js';
import { fileExpiryWorkflowId } from '../workflows/file-expiry.js';
import { client, failure } from './support/client.js';
import { sql } from './support/db.js';
import { startService, type Service } from './support/services.js';

const env = inject('serviceEnv');
const openai = client();
const s3 = s3Client(env.S3_ENDPOINT!, env.S3_ACCESS_KEY!, env.S3_SECRET_KEY!);

let n = 0;
const uniqueName = (ext = 'txt') => `upload-${process.pid}-${Date.now()}-${n++}.${ext}`;

async function objectExists(bucket: string, id: string): Promise<boolean> {
  try {
    // The suite's server is open: its files are the default project's.
    await s3.statObject(bucket, fileObjectKey(DEFAULT_PROJECT_ID, id));
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

    expect(await objectExists(env.S3_BUCKET_NAME!, file.id)).toBe(true);
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

const rowsNamed = async (filename: string) => (await sql<{ n: number }>('SELECT count(*)::int AS n FROM files WHERE filename = $1', [filename]))[0]!.n;

describe('files: bad uploads leave nothing behind', () => {
  // A bucket of its own, so that "nothing in S3" is a listing of it; parts are 5 MiB, so a
  // 12 MiB limit is hit after two parts went up.
  const MAX = 12 * 1024 * 1024;
  const bucket = `files-limits-${Date.now()}`;
  let api: Service;
  let sdk: OpenAI;
  beforeAll(async () => {
    api = await startService('api', { ...env, S3_BUCKET_NAME: bucket, MAX_FILE_BYTES: String(MAX), API_WORKER: 'false' });
    sdk = client(api.url);
  });
  afterAll(() => api?.stop());

  const bucketContents = async () => {
    const objects: string[] = [];
    for await (const o of s3.listObjectsV2(bucket, '', true)) objects.push((o as { name: string }).name);
    for await (const u of s3.listIncompleteUploads(bucket, '', true)) objects.push(`incomplete:${u.key}`);
    return objects;
  };

  /** Sends a create the SDK's types would refuse, and returns its error after checking nothing was written. */
  async function refused(params: Record<string, unknown>, filename: string) {
    const err = await failure(sdk.files.create(params as unknown as FileCreateParams));
    expect(await rowsNamed(filename)).toBe(0);
    expect(await bucketContents()).toEqual([]);
    return err;
  }

  it('every bad input is a 400 naming its param', async () => {
    const cases: [Record<string, unknown>, { param: string; code: string; message?: string }][] = [
      [{ purpose: 'assistants' }, { param: 'file', code: 'missing_required_parameter', message: "Missing required parameter: 'file'." }],
      [{ purpose: 'assistants', file: 'not a file' }, { param: 'file', code: 'invalid_type' }],
      [{ file: 'CONTENT' }, { param: 'purpose', code: 'missing_required_parameter', message: "Missing required parameter: 'purpose'." }],
      [{ file: 'CONTENT', purpose: 'answers' }, { param: 'purpose', code: 'invalid_value' }],
      [{ file: 'EMPTY', purpose: 'assistants' }, { param: 'file', code: 'empty_file' }],
      [{ file: 'CONTENT', purpose: 'batch', expires_after: { anchor: 'last_active_at', seconds: 3600 } }, { param: 'expires_after.anchor', code: 'invalid_value' }],
      [{ file: 'CONTENT', purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 3599 } }, { param: 'expires_after.seconds', code: 'integer_below_min_value' }],
      [{ file: 'CONTENT', purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 2_592_001 } }, { param: 'expires_after.seconds', code: 'integer_above_max_value' }],
      [{ file: 'CONTENT', purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 'soon' } }, { param: 'expires_after.seconds', code: 'invalid_type' }],
      [{ file: 'CONTENT', purpose: 'batch', expires_after: { anchor: 'created_at' } }, { param: 'expires_after.seconds', code: 'missing_required_parameter' }],
      [{ file: 'CONTENT', purpose: 'batch', colour: 'blue' }, { param: 'colour', code: 'unknown_parameter' }],
      [{ file: 'CONTENT', purpose: 'batch', other: 'FILE' }, { param: 'other', code: 'unknown_parameter' }],
    ];
    for (const [params, expected] of cases) {
      const filename = uniqueName();
      const upload = async (v: unknown) =>
        v === 'CONTENT' ? toFile(Buffer.from('some content'), filename) : v === 'EMPTY' ? toFile(Buffer.alloc(0), filename) : v === 'FILE' ? toFile(Buffer.from('x'), filename) : v;
      const sent = Object.fromEntries(await Promise.all(Object.entries(params).map(async ([k, v]) => [k, await upload(v)])));
      const err = await refused(sent, filename);
      expect(err.status, JSON.stringify(params)).toBe(400);
      expect(err.error, JSON.stringify(params)).toMatchObject({ type: 'invalid_request_error', param: expected.param, code: expected.code, ...(expected.message && { message: expected.message }) });
    }
  });

  it('a JSON body is a 400', async () => {
    const res = await fetch(`${api.url}/v1/files`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ purpose: 'assistants' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'Expected a multipart/form-data request body.' } });
  });

  it('a file of MAX_FILE_BYTES is taken; one byte more is a 413 with nothing written', async () => {
    const exact = randomBytes(MAX);
    const file = await sdk.files.create({ file: await toFile(exact, uniqueName('bin')), purpose: 'assistants' });
    expect(file.bytes).toBe(MAX);
    expect(Buffer.from(await (await sdk.files.content(file.id)).arrayBuffer()).equals(exact)).toBe(true);
    await sdk.files.delete(file.id);
    expect(await bucketContents()).toEqual([]);

    const filename = uniqueName('bin');
    const err = await refused({ file: await toFile(randomBytes(MAX + 1), filename), purpose: 'assistants' }, filename);
    expect(err.status).toBe(413);
    expect(err.error).toEqual({ message: `File is too large: the maximum file size is ${MAX} bytes.`, type: 'invalid_request_error', param: 'file', code: 'file_too_large' });
  });

  it('a client that goes away mid-upload leaves nothing behind', async () => {
    const filename = uniqueName('bin');
    const boundary = 'x-boundary';
    const { port } = new URL(api.url);
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/files', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    req.on('error', () => {});
    req.write(`--${boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nassistants\r\n`);
    req.write(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: application/octet-stream\r\n\r\n`);
    // More than a part, so a multipart upload is under way when the client goes.
    for (let i = 0; i < 7; i++) await new Promise((r) => req.write(randomBytes(1024 * 1024), r));
    await expect.poll(async () => (await bucketContents()).length, { timeout: 10_000 }).toBe(1);
    req.destroy();
    await expect.poll(bucketContents, { timeout: 10_000 }).toEqual([]);
    expect(await rowsNamed(filename)).toBe(0);
  });
});

describe('files: expiry and memory', () => {
  // Expiry is 2 s here; its activity runs on the suite's worker, which uses the same bucket.
  let api: Service;
  let sdk: OpenAI;
  let temporal: TemporalClient;
  beforeAll(async () => {
    api = await startService('api', { ...env, FILE_MIN_EXPIRY_SECONDS: '1', API_WORKER: 'false' });
    sdk = client(api.url);
    temporal = new TemporalClient({ connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS! }) });
  });
  afterAll(async () => {
    await temporal?.connection.close();
    await api?.stop();
  });

  const workflowStatus = async (fileId: string) => (await temporal.workflow.getHandle(fileExpiryWorkflowId(fileId)).describe()).status.name;

  it('a file expires at expires_at: row, object and timer gone', async () => {
    const file = await sdk.files.create({ file: await toFile(Buffer.from('short-lived'), uniqueName()), purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 2 } });
    expect(file.expires_at).toBe(file.created_at + 2);
    expect(await objectExists(env.S3_BUCKET_NAME!, file.id)).toBe(true);
    const deadline = Date.now() + 20_000;
    while ((await sdk.files.retrieve(file.id).then(() => true, () => false)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await failure(sdk.files.retrieve(file.id))).status).toBe(404);
    // Not before its time (whole seconds: created_at may have been up to 1 s before the upload).
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(file.created_at + 2);
    expect(await objectExists(env.S3_BUCKET_NAME!, file.id)).toBe(false);
    // The row goes in the activity; the workflow completes just after.
    await expect.poll(() => workflowStatus(file.id), { timeout: 10_000 }).toBe('COMPLETED');
  });

  it('deleting an expiring file ends its timer', async () => {
    const file = await sdk.files.create({ file: await toFile(Buffer.from('deleted early'), uniqueName()), purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 3600 } });
    expect(await workflowStatus(file.id)).toBe('RUNNING');
    await sdk.files.delete(file.id);
    expect(await workflowStatus(file.id)).toBe('TERMINATED');
  });

  it('a 128 MB upload and download are byte-exact while the API\'s RSS grows by far less than the file', { timeout: 120_000 }, async () => {
    const rss = async () => Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${api.pid}/status`, 'utf8'))![1]) * 1024;
    // Warm up first (code loading, V8's young generation growing to its working size), so
    // that the baseline is the API as it serves files, not as it started.
    const warmUp = await sdk.files.create({ file: await toFile(randomBytes(16 * 1024 * 1024), uniqueName('bin')), purpose: 'assistants' });
    await (await sdk.files.content(warmUp.id)).arrayBuffer();
    await sdk.files.delete(warmUp.id);
    const peakDuring = async <T>(work: Promise<T>) => {
      let peak = 0;
      let done = false;
      const sampling = (async () => {
        while (!done) {
          peak = Math.max(peak, await rss());
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      try {
        return { result: await work, peak };
      } finally {
        done = true;
        await sampling;
      }
    };

    // Large beside what GC leaves lying around (~30 MB seen on a loaded machine), so holding the
    // file and streaming it cannot be mistaken for each other.
    const size = 128 * 1024 * 1024;
    const bytes = randomBytes(size);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const before = await rss();
    const up = await peakDuring(sdk.files.create({ file: await toFile(bytes, uniqueName('bin')), purpose: 'assistants' }));
    expect(up.result.bytes).toBe(size);
    const down = await peakDuring(sdk.files.content(up.result.id).then(async (r) => Buffer.from(await r.arrayBuffer())));
    expect(sha(down.result)).toBe(sha(bytes));
    const growth = Math.max(up.peak, down.peak) - before;
    console.log(`API RSS: ${(before / 2 ** 20).toFixed(1)} MB before; peak +${((up.peak - before) / 2 ** 20).toFixed(1)} MB uploading, +${((down.peak - before) / 2 ** 20).toFixed(1)} MB downloading ${size / 2 ** 20} MB`);
    // Holding the file would grow it by at least its size; streamed, it grows by a part or two.
    expect(growth).toBeLessThan(size / 2);
    await sdk.files.delete(up.result.id);
  });
});
