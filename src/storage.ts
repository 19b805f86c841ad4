import { Client as Minio } from 'minio';

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
