import { Prisma } from '../generated/prisma/client.js';
import type { Db } from '../db/client.js';
import type { Embedder } from '../embeddings.js';
import { UnavailableError } from '../errors.js';
import { embeddingOfText } from './chunks.js';
import { filterSql, type AttributeFilter } from './filters.js';
import { DEFAULT_FUSION, fuse, type Fusion } from './fusion.js';
import { usesPgvector } from './pgvector.js';
import { textCandidates } from './text.js';
import { EXACT_SCAN_MAX, vectorCandidates, type VectorStep } from './vectors.js';

/**
 * Hybrid search over vector stores' chunks, for `vector_stores/{id}/search` and the file_search
 * tool alike. Per query: candidates from the vector step (all chunks in a small store, else the
 * LSH prefilter or pgvector) and from full text (chunks with a rare query term); every candidate
 * compared exactly with the query's embedding and scored by BM25; the two fused (fusion.ts).
 * A chunk scores its best over the queries. Only `completed` store files are searched.
 */
export interface SearchParams {
  vectorStoreIds: string[];
  /** One query or several; each is embedded and searched. */
  query: string | string[];
  maxResults: number;
  /** Chunks scoring below it (0–1) are left out. */
  scoreThreshold?: number;
  filters?: AttributeFilter | null;
  fusion?: Fusion;
}

export interface SearchResult {
  fileId: string;
  filename: string;
  /** The best of its chunks' scores, 0–1. */
  score: number;
  attributes: Record<string, string | number | boolean>;
  /** The file's chunks among the results, best first. */
  chunks: { text: string; seq: number; score: number }[];
}

/** Searched chunks are counted up to here (an index-only scan): enough to choose the vector step and to weigh terms (text.ts). */
const COUNT_CAP = 100_000;

/**
 * The searched chunks, `FROM … WHERE …`: chunks `c` of completed files `f`. It names only
 * columns of the covering index (schema.prisma), so the LSH scan never reads the wide rows.
 */
function searchedChunks(storeIds: string[], filters: AttributeFilter | null | undefined): Prisma.Sql {
  return Prisma.sql`FROM chunks c JOIN vector_store_files f ON f.vector_store_id = c.vector_store_id AND f.file_id = c.file_id
    WHERE c.vector_store_id = ANY(${storeIds}::text[]) AND f.status = 'completed'
    ${filters ? Prisma.sql`AND (${filterSql(filters, Prisma.sql`f.attributes`)})` : Prisma.empty}`;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export interface SearchOutcome {
  results: SearchResult[];
  /** How vector candidates were found (for logs and the benchmark). */
  step: VectorStep | 'none';
  candidates: number;
}

export async function searchStores(db: Db, embedder: Embedder, params: SearchParams): Promise<SearchOutcome> {
  const queries = typeof params.query === 'string' ? [params.query] : params.query;
  const fusion = params.fusion ?? DEFAULT_FUSION;
  const vectors = await embedder.embed(queries, 'query').catch((err: unknown) => {
    throw new UnavailableError('The embeddings service did not answer, so the query could not be searched; try again.', { cause: err });
  });
  const dims = vectors[0]!.length;
  const from = searchedChunks(params.vectorStoreIds, params.filters);
  const [{ n }] = await db.$queryRaw<[{ n: number }]>`SELECT count(*)::int AS n FROM (SELECT 1 ${from} LIMIT ${COUNT_CAP}) s`;
  if (n === 0) return { results: [], step: 'none', candidates: 0 };
  const step: VectorStep = n <= EXACT_SCAN_MAX ? 'exact' : (await usesPgvector(db)) ? 'pgvector' : 'lsh';

  const embeddings = new Map<bigint, Float32Array>();
  // Chunks embedded by another model (another dimension) are not comparable: skipped.
  const keep = (rows: { id: bigint; embedding: string }[]) => {
    for (const r of rows) {
      if (embeddings.has(r.id)) continue;
      const v = embeddingOfText(r.embedding);
      if (v.length === dims) embeddings.set(r.id, v);
    }
  };
  // One exact scan serves every query; an approximate step looks for each query's own neighbours.
  const vectorSearches = fusion.kind === 'text' ? [] : step === 'exact' ? [vectors[0]!] : vectors;
  const [byVector, byText] = await Promise.all([
    Promise.all(vectorSearches.map((v) => vectorCandidates(db, step, from, v))),
    fusion.kind === 'vector' ? [] : Promise.all(queries.map((q) => textCandidates(db, from, n, q))),
  ]);
  byVector.forEach(keep);
  byText.forEach(keep);
  const textScores = queries.map((_, i) => new Map((byText[i] ?? []).map((c) => [c.id, c.score])));

  const ids = [...embeddings.keys()];
  const best = new Map<bigint, number>();
  vectors.forEach((v, qi) => {
    const scored = ids.map((id) => ({ vector: Math.max(0, dot(v, embeddings.get(id)!)), text: textScores[qi]!.get(id) ?? 0 }));
    fuse(scored, fusion).forEach((score, i) => {
      const id = ids[i]!;
      if (score > (best.get(id) ?? -1)) best.set(id, score);
    });
  });
  const top = [...best.entries()]
    .filter(([, score]) => score > 0 && score >= (params.scoreThreshold ?? 0))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, params.maxResults);
  return { results: await groupByFile(db, top), step, candidates: ids.length };
}

/** The chunks' texts and files, grouped per file in the order of each file's best chunk. */
async function groupByFile(db: Db, top: [bigint, number][]): Promise<SearchResult[]> {
  if (top.length === 0) return [];
  const rows = await db.$queryRaw<{ id: bigint; file_id: string; seq: number; text: string; attributes: SearchResult['attributes']; filename: string }[]>`
    SELECT c.id, c.file_id, c.seq, c.text, f.attributes, fl.filename
    FROM chunks c
    JOIN vector_store_files f ON f.vector_store_id = c.vector_store_id AND f.file_id = c.file_id
    JOIN files fl ON fl.id = c.file_id
    WHERE c.id = ANY(${top.map(([id]) => String(id))}::bigint[])`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const files = new Map<string, SearchResult>();
  for (const [id, score] of top) {
    const row = byId.get(id);
    if (!row) continue;
    let file = files.get(row.file_id);
    if (!file) files.set(row.file_id, (file = { fileId: row.file_id, filename: row.filename, score, attributes: row.attributes, chunks: [] }));
    // The same file in two searched stores has the same chunks twice.
    if (!file.chunks.some((c) => c.seq === row.seq)) file.chunks.push({ text: row.text, seq: row.seq, score });
  }
  return [...files.values()];
}
