import { Client as Minio } from 'minio';
import type { Readable } from 'node:stream';
import type { Config } from './config.js';

/** Path-style S3 client: works with SeaweedFS (embedded), MinIO (docker-compose) and AWS alike. */
export function s3Client(endpoint: string, accessKey: string, secretKey: string, region = 'us-east-1'): Minio {
  const url = new URL(endpoint);
  return new Minio({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    useSSL: url.protocol === 'https:',
    accessKey,
    secretKey,
    region,
    pathStyle: true,
  });
}

export async function ensureBucket(client: Minio, bucket: string): Promise<void> {
  if (!(await client.bucketExists(bucket))) await client.makeBucket(bucket);
}

/** The bucket the S3_* settings name, on the S3 server at `endpoint`. */
export function objectStore(s3: Config['s3'], endpoint: string): ObjectStore {
  return new ObjectStore(s3Client(endpoint, s3.accessKey, s3.secretKey, s3.region), s3.bucket);
}

/**
 * S3's smallest multipart part. An upload holds at most one part (and its copy) in memory,
 * whatever the file's size.
 */
const PART_BYTES = 5 * 1024 * 1024;

/** The objects of one bucket: where the Files API keeps file content. */
export class ObjectStore {
  constructor(
    readonly client: Minio,
    readonly bucket: string,
  ) {}

  /**
   * Streams `body`, whose length is not known ahead (a multipart request's file), into `key`:
   * one PUT if it ends within a part, else a multipart upload, part by part. minio's own
   * `putObject` of a stream of unknown length buffers parts of ~550 MB and never settles if
   * its source fails, hence this loop. If the body or S3 fails midway, the parts sent so far
   * are aborted: a failed upload leaves nothing behind.
   */
  async put(key: string, body: AsyncIterable<Buffer>, contentType: string): Promise<void> {
    const headers = { 'Content-Type': contentType };
    let uploadId: string | undefined;
    const parts: { part: number; etag: string }[] = [];
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const sendPart = async () => {
      uploadId ??= await this.client.initiateNewMultipartUpload(this.bucket, key, headers);
      const payload = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const part = parts.length + 1;
      const { etag } = await this.client.uploadPart(
        { bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: { 'Content-Length': payload.length } },
        payload,
      );
      parts.push({ part, etag });
    };
    try {
      for await (const chunk of body) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= PART_BYTES) await sendPart();
      }
      if (uploadId === undefined) {
        await this.client.putObject(this.bucket, key, Buffer.concat(pending, pendingBytes), pendingBytes, headers);
        return;
      }
      if (pendingBytes > 0) await sendPart();
      await this.client.completeMultipartUpload(this.bucket, key, uploadId, parts);
    } catch (err) {
      if (uploadId !== undefined) await this.client.abortMultipartUpload(this.bucket, key, uploadId);
      throw err;
    }
  }

  /** The object's bytes as a stream, with the Content-Type and length it was stored with. */
  async get(key: string): Promise<{ body: Readable; contentType: string; bytes: number }> {
    const stat = await this.client.statObject(this.bucket, key);
    const contentType = (stat.metaData as Record<string, string | undefined>)['content-type'] ?? 'application/octet-stream';
    return { body: await this.client.getObject(this.bucket, key), contentType, bytes: stat.size };
  }

  /** Removing a missing object is not an error (S3's DELETE is idempotent). */
  remove(key: string): Promise<void> {
    return this.client.removeObject(this.bucket, key);
  }
}
