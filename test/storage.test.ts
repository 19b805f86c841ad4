import { describe, expect, inject, it } from 'vitest';
import { s3Client } from '../src/storage.js';
import { startService } from './support/services.js';

describe('S3', () => {
  it('the API creates its bucket on an S3 server that lacks it (as MinIO in docker-compose does)', async () => {
    const env = inject('serviceEnv');
    const bucket = `fresh-${Date.now()}`;
    const s3 = s3Client(env.S3_ENDPOINT!, env.S3_ACCESS_KEY!, env.S3_SECRET_KEY!);
    expect(await s3.bucketExists(bucket)).toBe(false);
    const api = await startService('api', { ...env, S3_BUCKET_NAME: bucket });
    try {
      expect(await s3.bucketExists(bucket)).toBe(true);
      const health = await (await fetch(`${api.url}/health`)).json();
      expect(health).toEqual({ status: 'ok', services: { postgres: { ok: true }, temporal: { ok: true }, s3: { ok: true }, listener: { ok: true }, model: { ok: true } } });
    } finally {
      await api.stop();
    }
  });
});
