/**
 * How one query's two scores of a candidate chunk, embedding similarity and text relevance,
 * become one score in 0–1. Measured on the test corpus (README, "Retrieval"), which chose
 * DEFAULT_FUSION; the others stay for that measurement and for `ranker: "none"` (vector only).
 */
export type Fusion =
  /** `vectorWeight`·vector + (1 − `vectorWeight`)·text. */
  | { kind: 'weighted'; vectorWeight: number }
  /** Reciprocal rank fusion, Σ 1/(k + rank) over both rankings, scaled so first in both is 1. */
  | { kind: 'rrf'; k: number }
  | { kind: 'vector' }
  | { kind: 'text' };

export const DEFAULT_FUSION: Fusion = { kind: 'weighted', vectorWeight: 0.9 };

export interface Scored {
  /** Cosine similarity of the query's and the chunk's embeddings, clamped to 0–1. */
  vector: number;
  /** BM25 relevance as a share of the query's best possible (src/retrieval/text.ts), 0–1; 0 when no term matches. */
  text: number;
}

/** Scores in the order of `candidates`. */
export function fuse(candidates: Scored[], fusion: Fusion): number[] {
  switch (fusion.kind) {
    case 'vector':
      return candidates.map((c) => c.vector);
    case 'text':
      return candidates.map((c) => c.text);
    case 'weighted':
      return candidates.map((c) => fusion.vectorWeight * c.vector + (1 - fusion.vectorWeight) * c.text);
    case 'rrf': {
      const { k } = fusion;
      const vectorRank = ranks(candidates.map((c) => c.vector));
      const textRank = ranks(candidates.map((c) => c.text));
      // A chunk no query term matched is in the vector ranking only.
      return candidates.map((c, i) => (1 / (k + vectorRank[i]!) + (c.text > 0 ? 1 / (k + textRank[i]!) : 0)) / (2 / (k + 1)));
    }
  }
}

/** 1-based rank of each value, highest first; equal values share the better rank. */
function ranks(values: number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => b.v - a.v);
  const out = new Array<number>(values.length);
  order.forEach(({ v, i }, pos) => {
    const prev = order[pos - 1];
    out[i] = prev && prev.v === v ? out[prev.i]! : pos + 1;
  });
  return out;
}
