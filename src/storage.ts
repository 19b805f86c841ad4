import { Client as Minio } from 'minio';
import type { Config } from './config.js';

/** The S3 client for any S3 server (SeaweedFS embedded, MinIO in docker-compose, AWS). */
export function createS3(s3: Config['s3'], endpoint: string): Minio {
  const url = new URL(endpoint);
  return new Minio({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    useSSL: url.protocol === 'https:',
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
    pathStyle: true,
  });
}
