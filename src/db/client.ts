import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type Db = PrismaClient;
export type { Prisma } from '../generated/prisma/client.js';
import type { Prisma } from '../generated/prisma/client.js';

/** A transaction's client. The full client fits this type too, so data access takes a `Tx`. */
export type Tx = Prisma.TransactionClient;

/**
 * Prisma through the pg driver adapter: no native query engine to download. A transaction
 * waits up to 10 s for a pooled connection (Prisma's default, 2 s, turned bursts of run
 * creation — each holds its connection while Temporal starts the workflow — into 500s).
 * A new connection gets 5 s to open, so a request during a Postgres outage fails instead of
 * hanging; the pool drops connections that broke and opens fresh ones once Postgres is back.
 */
export function createDb(databaseUrl: string, poolSize = 10): Db {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5_000, keepAlive: true }),
    transactionOptions: { maxWait: 10_000, timeout: 30_000 },
  });
}
