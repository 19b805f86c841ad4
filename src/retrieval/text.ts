import { Prisma } from '../generated/prisma/client.js';
import type { Tx } from '../db/client.js';
import { embeddingAsText, TEXT_SEARCH_CONFIG } from './chunks.js';

/**
 * Full-text relevance, BM25 over the chunks' stored tsvectors. Postgres's own ts_rank knows no
 * term rarity, so a query's common words would outweigh its rare ones; here each term weighs
 * by its inverse document frequency among the chunks searched, estimated from a sample of up
 * to SAMPLE of them (exact in a store that small): counting a common word in a large store
 * would read most of it. Candidates come from the rare terms only, those in at most RARE_DF
 * chunks (or half a small store), so a query's common words never bring in the whole store.
 */
const SAMPLE = 2_000;
const RARE_DF = 1_000;
/** Most text candidates read per query, best first by ts_rank. */
const TEXT_CANDIDATES = 300;
const K1 = 1.2;
const B = 0.75;

export interface TextCandidate {
  id: bigint;
  /** base64 of `chunks.embedding`. */
  embedding: string;
  /** BM25 over the query's terms, divided by its best possible (every term, saturated): 0–1. */
  score: number;
}

/** A tsquery literal for one lexeme, parsed by Postgres as exactly that lexeme. */
const lexemeQuery = (t: string) => `'${t.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * The chunks that contain one of the query's rare terms, each with its BM25 score. `from` is
 * the searched chunks' `FROM … WHERE …` (chunks as `c`); `total` how many there are.
 */
export async function textCandidates(db: Tx, from: Prisma.Sql, total: number, query: string): Promise<TextCandidate[]> {
  const [{ terms }] = await db.$queryRaw<[{ terms: string[] }]>`SELECT tsvector_to_array(to_tsvector(${TEXT_SEARCH_CONFIG}::regconfig, ${query})) AS terms`;
  if (terms.length === 0 || total === 0) return [];
  const stats = await db.$queryRaw<{ term: string; hits: number; size: number }[]>`
    WITH sample AS (SELECT c.tsv ${from} LIMIT ${SAMPLE})
    SELECT t.term, (SELECT count(*)::int FROM sample WHERE sample.tsv @@ t.q::tsquery) AS hits, (SELECT count(*)::int FROM sample) AS size
    FROM unnest(${terms}::text[], ${terms.map(lexemeQuery)}::text[]) AS t(term, q)`;
  const df = new Map(stats.map(({ term, hits, size }) => [term, (hits / Math.max(1, size)) * total]));
  const idf = new Map([...df].map(([term, d]) => [term, Math.log((total - d + 0.5) / (d + 0.5) + 1)]));
  const best = [...idf.values()].reduce((s, w) => s + w * (K1 + 1), 0);
  // Candidates come from rare terms only: a word in half the chunks would bring in half the store.
  // A term the sample missed is rare, or absent: its candidates query finds out.
  const rare = [...df].filter(([, d]) => d <= Math.min(RARE_DF, Math.max(1, total / 2))).map(([term]) => lexemeQuery(term));
  if (rare.length === 0 || best <= 0) return [];
  const any = rare.join(' | ');
  const rows = await db.$queryRaw<{ id: bigint; embedding: string; tsv: string }[]>`
    SELECT c.id, ${embeddingAsText('c')}, c.tsv::text AS tsv ${from} AND c.tsv @@ ${any}::tsquery
    ORDER BY ts_rank(c.tsv, ${any}::tsquery) DESC LIMIT ${TEXT_CANDIDATES}`;
  const docs = rows.map((r) => ({ ...r, tf: termFrequencies(r.tsv) }));
  const avgLength = docs.reduce((s, d) => s + d.tf.length, 0) / Math.max(1, docs.length) || 1;
  return docs.map(({ id, embedding, tf }) => {
    let score = 0;
    const norm = K1 * (1 - B + (B * tf.length) / avgLength);
    for (const [term, weight] of idf) {
      const n = tf.counts.get(term) ?? 0;
      if (n > 0) score += (weight * n * (K1 + 1)) / (n + norm);
    }
    return { id, embedding, score: score / best };
  });
}

/** A tsvector's text form (`'lexeme':1,5 'other':3`): each lexeme's number of positions, and their total. */
function termFrequencies(tsv: string): { counts: Map<string, number>; length: number } {
  const counts = new Map<string, number>();
  let length = 0;
  for (const m of tsv.matchAll(/'((?:[^'\\]|''|\\.)*)'(?::([0-9A-D,]+))?/g)) {
    const lexeme = m[1]!.replace(/''/g, "'").replace(/\\(.)/g, '$1');
    const n = m[2] ? m[2].split(',').length : 1;
    counts.set(lexeme, n);
    length += n;
  }
  return { counts, length };
}
