import { endianness } from 'node:os';
import { Prisma } from '../generated/prisma/client.js';
import type { Tx } from '../db/client.js';
import { sketch, SKETCH_TYPE } from './lsh.js';

/** The text search configuration chunks are indexed and queried with: no stemming, so any language of the multilingual embedding model matches word for word. */
export const TEXT_SEARCH_CONFIG = 'simple';

export interface ChunkInput {
  text: string;
  tokens: number;
  /** Unit length. */
  embedding: Float32Array;
}

/** float32 little-endian, as `chunks.embedding` keeps it. */
export function embeddingBytes(v: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i]!, i * 4);
  return out;
}

/**
 * `chunks.embedding` as search reads it, base64 text: Prisma's driver adapter decodes a bytea
 * column some 7 times slower (measured: 10,000 embeddings in 620–790 ms as bytea, 90–125 ms as base64).
 */
export const embeddingAsText = (alias: string) => Prisma.raw(`encode(${alias}.embedding, 'base64') AS embedding`);
export const embeddingOfText = (base64: string) => embeddingOf(Buffer.from(base64, 'base64'));

const LITTLE_ENDIAN = endianness() === 'LE';

/** Search decodes every candidate's embedding: on a little-endian host (any x86 or ARM server) one copy, else float by float. */
export function embeddingOf(bytes: Uint8Array): Float32Array {
  if (LITTLE_ENDIAN) return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** Chunks written in a dimension before its sketch center is set: their mean is the center. */
const CENTER_SAMPLE = 256;

/**
 * The center sketches of `dims` dimensions are taken around (src/retrieval/lsh.ts), or null
 * while fewer than CENTER_SAMPLE chunks of that dimension were ever written: those are written
 * without a sketch. With `batch`, the embeddings about to be written, the chunk that reaches
 * CENTER_SAMPLE sets the center to the mean of all of them and sketches the earlier ones, once.
 * Concurrent writers race on the insert: the first wins, the others read its center. (A write
 * still uncommitted when the center is set keeps its chunks unsketched: the LSH prefilter never
 * offers them, text search and exact scans still find them. It can happen once per dimension.)
 */
export async function sketchCenter(tx: Tx, dims: number, batch?: Float32Array[]): Promise<Float32Array | null> {
  const read = async () => {
    const [row] = await tx.$queryRaw<{ center: Uint8Array }[]>`SELECT center FROM sketch_centers WHERE dims = ${dims}`;
    return row ? embeddingOf(row.center) : null;
  };
  const known = await read();
  if (known || !batch?.length) return known;
  // Every chunk written so far without a sketch (a few hundred at most: the center is set at
  // CENTER_SAMPLE), so that none of them is left out of the prefilter.
  const pending = await tx.$queryRaw<{ id: bigint; embedding: Uint8Array }[]>`
    SELECT id, embedding FROM chunks WHERE sketch IS NULL AND length(embedding) = ${dims * 4}`;
  if (pending.length + batch.length < CENTER_SAMPLE) return null;
  const earlier = pending.map((r) => embeddingOf(r.embedding));
  const all = [...earlier, ...batch];
  const mean = new Float32Array(dims);
  for (const v of all) for (let i = 0; i < dims; i++) mean[i]! += v[i]! / all.length;
  await tx.$executeRaw`INSERT INTO sketch_centers (dims, center) VALUES (${dims}, ${embeddingBytes(mean)}) ON CONFLICT (dims) DO NOTHING`;
  const center = (await read())!;
  if (pending.length) {
    const rows = pending.map((r, i) => Prisma.sql`(${String(r.id)}::bigint, ${sketch(earlier[i]!, center)}::${SKETCH_TYPE})`);
    await tx.$executeRaw`UPDATE chunks SET sketch = v.sketch FROM (VALUES ${Prisma.join(rows)}) AS v(id, sketch) WHERE chunks.id = v.id`;
  }
  return center;
}

/**
 * A file's chunks in a store, replacing any it had: an ingestion attempt that is retried after
 * writing some (a worker killed mid-ingest) leaves exactly one set. Call inside a transaction
 * with the status change that publishes them, so a file is never searchable half-indexed.
 */
export async function replaceChunks(tx: Tx, vectorStoreId: string, fileId: string, chunks: ChunkInput[]): Promise<void> {
  await tx.$executeRaw`DELETE FROM chunks WHERE vector_store_id = ${vectorStoreId} AND file_id = ${fileId}`;
  if (chunks.length === 0) return;
  const center = await sketchCenter(tx, chunks[0]!.embedding.length, chunks.map((c) => c.embedding));
  // Rows in batches: one statement's parameters are capped at 65 535.
  for (let from = 0; from < chunks.length; from += 500) {
    const rows = chunks.slice(from, from + 500).map(
      (c, i) =>
        Prisma.sql`(${vectorStoreId}, ${fileId}, ${from + i}, ${c.text}, ${c.tokens}, ${embeddingBytes(c.embedding)}, ${center ? sketch(c.embedding, center) : null}::${SKETCH_TYPE}, to_tsvector(${TEXT_SEARCH_CONFIG}::regconfig, ${c.text}))`,
    );
    await tx.$executeRaw`INSERT INTO chunks (vector_store_id, file_id, seq, text, tokens, embedding, sketch, tsv) VALUES ${Prisma.join(rows)}`;
  }
}

/** Removes chunks: of one file in one store, of a file from every store, or of a whole store. */
export async function deleteChunks(tx: Tx, where: { vectorStoreId: string; fileId?: string } | { fileId: string }): Promise<void> {
  await tx.chunk.deleteMany({ where });
}
