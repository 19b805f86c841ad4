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

/** S3's smallest multipart part. */
const PART_BYTES = 5 * 1024 * 1024;

/** The objects of one bucket: where the Files API keeps file content. */
export class ObjectStore {
  constructor(
    readonly client: Minio,
    readonly bucket: string,
  ) {}

  /**
   * Streams `body`, whose length is not known ahead (a multipart request's file), into `key`:
   * one PUT if it ends within a part, else a multipart upload, part by part, so an upload holds
   * one part in memory whatever the file's size. (minio's `putObject` of a stream of unknown
   * length buffers parts of ~550 MB and never settles if its source fails.) If the body or S3
   * fails midway, the parts sent so far are aborted: a failed upload leaves nothing behind.
   */
  async put(key: string, body: AsyncIterable<Buffer> | Iterable<Buffer>, contentType: string): Promise<void> {
    const headers = { 'Content-Type': contentType };
    // Reused for every part. Unfilled pages of an allocUnsafe buffer are never touched, so a
    // small file costs only what it fills.
    const part = Buffer.allocUnsafe(PART_BYTES);
    let filled = 0;
    let uploadId: string | undefined;
    const etags: { part: number; etag: string }[] = [];
    const sendPart = async () => {
      uploadId ??= await this.client.initiateNewMultipartUpload(this.bucket, key, headers);
      const partNumber = etags.length + 1;
      const { etag } = await this.client.uploadPart(
        { bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber, headers: { 'Content-Length': filled } },
        part.subarray(0, filled),
      );
      etags.push({ part: partNumber, etag });
      filled = 0;
    };
    try {
      for await (const chunk of body) {
        for (let offset = 0; offset < chunk.length; ) {
          const copied = chunk.copy(part, filled, offset);
          filled += copied;
          offset += copied;
          if (filled === PART_BYTES) await sendPart();
        }
      }
      if (uploadId === undefined) {
        await this.client.putObject(this.bucket, key, part.subarray(0, filled), filled, headers);
        return;
      }
      if (filled > 0) await sendPart();
      await this.client.completeMultipartUpload(this.bucket, key, uploadId, etags);
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
