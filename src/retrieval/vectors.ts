import { Prisma } from '../generated/prisma/client.js';
import type { Db } from '../db/client.js';
import { embeddingAsText, sketchCenter } from './chunks.js';
import { sketch, SKETCH_TYPE } from './lsh.js';

/** Chunks an approximate step hands to the exact comparison, per query. */
export const VECTOR_CANDIDATES = 1_000;
/** Up to this many chunks searched, every one is compared exactly: a prefilter would pass them all anyway. */
export const EXACT_SCAN_MAX = VECTOR_CANDIDATES;
/** pgvector's HNSW candidates per query; its search list must be at least as long. */
const PGVECTOR_CANDIDATES = 200;

export type VectorStep = 'exact' | 'lsh' | 'pgvector';

export interface VectorCandidate {
  id: bigint;
  /** base64 of `chunks.embedding` (chunks.ts, embeddingAsText). */
  embedding: string;
}

/**
 * The chunks worth comparing exactly with the query's embedding. `from` is the searched
 * chunks' `FROM … WHERE …` (chunks as `c`).
 * - `exact`: all of them.
 * - `lsh`: the `limit` whose sketches are nearest the query's in Hamming distance
 *   (src/retrieval/lsh.ts), found in the covering index; then their embeddings.
 * - `pgvector`: the nearest by the HNSW index, iteratively scanned until the filter is met.
 */
export async function vectorCandidates(db: Db, step: VectorStep, from: Prisma.Sql, query: Float32Array, limit = VECTOR_CANDIDATES): Promise<VectorCandidate[]> {
  if (step === 'exact') return db.$queryRaw<VectorCandidate[]>`SELECT c.id, ${embeddingAsText('c')} ${from}`;
  if (step === 'lsh') {
    // A store this large means the dimension's center is set (chunks.ts).
    const center = (await sketchCenter(db, query.length)) ?? new Float32Array(query.length);
    return db.$queryRaw<VectorCandidate[]>`
      SELECT x.id, ${embeddingAsText('x')} FROM chunks x JOIN (
        SELECT c.id ${from} ORDER BY bit_count(c.sketch # ${sketch(query, center)}::${SKETCH_TYPE}) LIMIT ${limit}
      ) near ON near.id = x.id`;
  }
  const dims = Prisma.raw(String(query.length));
  const literal = `[${Array.from(query).join(',')}]`;
  return db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`SET LOCAL hnsw.iterative_scan = relaxed_order`);
    await tx.$executeRawUnsafe(`SET LOCAL hnsw.ef_search = ${PGVECTOR_CANDIDATES}`);
    return tx.$queryRaw<VectorCandidate[]>`
      SELECT c.id, ${embeddingAsText('c')} ${from} AND vector_dims(c.embedding_vec) = ${dims}
      ORDER BY c.embedding_vec::vector(${dims}) <=> ${literal}::vector(${dims})
      LIMIT ${PGVECTOR_CANDIDATES}`;
  });
}
