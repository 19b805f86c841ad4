import type { Db } from './client.js';

/** A stored answer to a POST that carried an `Idempotency-Key`. */
export interface StoredResponse {
  fingerprint: string;
  /** Null while the first request is still in progress. */
  status: number | null;
  body: unknown;
}

/** How long a key is honoured, as OpenAI does. */
const RETENTION = '24 hours';
/** A request still in progress after this is taken to have died with its process. */
const ABANDONED = '10 minutes';

/**
 * Claims the key for a first request: true if this request is the one to run. A key past its
 * retention, or left in progress by a process that died, is taken over.
 */
export async function claimKey(db: Db, key: string, fingerprint: string): Promise<boolean> {
  const rows = await db.$queryRaw<{ key: string }[]>`
    INSERT INTO idempotency_keys (key, fingerprint) VALUES (${key}, ${fingerprint})
    ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = NULL, body = NULL, created_at = now()
      WHERE idempotency_keys.created_at < now() - ${RETENTION}::interval
         OR (idempotency_keys.status IS NULL AND idempotency_keys.created_at < now() - ${ABANDONED}::interval)
    RETURNING key`;
  return rows.length === 1;
}

export async function storedResponse(db: Db, key: string): Promise<StoredResponse | undefined> {
  const [row] = await db.$queryRaw<StoredResponse[]>`SELECT fingerprint, status, body FROM idempotency_keys WHERE key = ${key}`;
  return row;
}

export async function storeResponse(db: Db, key: string, status: number, body: unknown): Promise<void> {
  await db.$executeRaw`UPDATE idempotency_keys SET status = ${status}, body = ${JSON.stringify(body ?? null)}::jsonb WHERE key = ${key}`;
}

/** Forgets a claim whose request failed on our side (5xx): a retry runs it again. */
export async function releaseKey(db: Db, key: string): Promise<void> {
  await db.$executeRaw`DELETE FROM idempotency_keys WHERE key = ${key} AND status IS NULL`;
}

export async function pruneKeys(db: Db): Promise<number> {
  return db.$executeRaw`DELETE FROM idempotency_keys WHERE created_at < now() - ${RETENTION}::interval`;
}
