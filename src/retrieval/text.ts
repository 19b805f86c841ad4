import { Prisma } from '../generated/prisma/client.js';
import type { Tx } from '../db/client.js';
import { embeddingAsText, TEXT_SEARCH_CONFIG } from './chunks.js';

/**
 * Full-text relevance, BM25 over the chunks' stored tsvectors. Postgres's own ts_rank knows no
 * term rarity, so a query's common words would outweigh its rare ones; here each term weighs
 * by its inverse document frequency within the chunks searched. Frequencies are counted up to
 * DF_CAP (a term in more chunks than that is common, and no candidate comes from it alone),
 * so a term's count costs at most DF_CAP rows whatever the store's size.
 */
const DF_CAP = 1_000;
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
 * the searched chunks' `FROM … WHERE …` (chunks as `c`); `total` how many there are (capped).
 */
export async function textCandidates(db: Tx, from: Prisma.Sql, total: number, query: string): Promise<TextCandidate[]> {
  const [{ terms }] = await db.$queryRaw<[{ terms: string[] }]>`SELECT tsvector_to_array(to_tsvector(${TEXT_SEARCH_CONFIG}::regconfig, ${query})) AS terms`;
  if (terms.length === 0 || total === 0) return [];
  const stats = await db.$queryRaw<{ term: string; df: number }[]>`
    SELECT t.term, (SELECT count(*)::int FROM (SELECT 1 ${from} AND c.tsv @@ t.q::tsquery LIMIT ${DF_CAP}) s) AS df
    FROM unnest(${terms}::text[], ${terms.map(lexemeQuery)}::text[]) AS t(term, q)`;
  const idf = new Map(stats.map(({ term, df }) => [term, Math.log((total - df + 0.5) / (df + 0.5) + 1)]));
  const best = [...idf.values()].reduce((s, w) => s + w * (K1 + 1), 0);
  // Candidates come from rare terms only: a word in half the chunks would bring in half the store.
  const rare = stats.filter(({ df }) => df > 0 && df < DF_CAP && df <= Math.max(1, total / 2)).map(({ term }) => lexemeQuery(term));
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
export function termFrequencies(tsv: string): { counts: Map<string, number>; length: number } {
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
