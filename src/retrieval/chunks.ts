import { Prisma } from '../generated/prisma/client.js';
import type { Tx } from '../db/client.js';
import { lshCodes } from './lsh.js';

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

export function embeddingOf(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/**
 * A file's chunks in a store, replacing any it had: an ingestion attempt that is retried after
 * writing some (a worker killed mid-ingest) leaves exactly one set. Call inside a transaction
 * with the status change that publishes them, so a file is never searchable half-indexed.
 */
export async function replaceChunks(tx: Tx, vectorStoreId: string, fileId: string, chunks: ChunkInput[]): Promise<void> {
  await tx.$executeRaw`DELETE FROM chunks WHERE vector_store_id = ${vectorStoreId} AND file_id = ${fileId}`;
  // Rows in batches: one statement's parameters are capped at 65 535.
  for (let from = 0; from < chunks.length; from += 500) {
    const rows = chunks.slice(from, from + 500).map(
      (c, i) =>
        Prisma.sql`(${vectorStoreId}, ${fileId}, ${from + i}, ${c.text}, ${c.tokens}, ${embeddingBytes(c.embedding)}, ${lshCodes(c.embedding)}::int[], to_tsvector(${TEXT_SEARCH_CONFIG}::regconfig, ${c.text}))`,
    );
    await tx.$executeRaw`INSERT INTO chunks (vector_store_id, file_id, seq, text, tokens, embedding, lsh, tsv) VALUES ${Prisma.join(rows)}`;
  }
}

/** Removes chunks: of one file in one store, of a file from every store, or of a whole store. */
export async function deleteChunks(tx: Tx, where: { vectorStoreId: string; fileId?: string } | { fileId: string }): Promise<void> {
  await tx.chunk.deleteMany({ where });
}
