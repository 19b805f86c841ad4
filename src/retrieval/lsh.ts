import { Prisma } from '../generated/prisma/client.js';

/**
 * Random-hyperplane locality-sensitive hashing (SimHash): the candidate prefilter for vector
 * search on a Postgres without pgvector. A chunk stores its embedding's sketch, the signs of its
 * projections on SKETCH_BITS random hyperplanes (`chunks.sketch`). Two vectors at an
 * angle θ differ in each bit with probability θ/π, so the Hamming distance between sketches
 * estimates the angle; the prefilter ranks a store's sketches by their distance to the query's,
 * reading only a covering index, and compares the nearest exactly.
 *
 * Text embeddings sit in a narrow cone (unrelated passages of multilingual-e5-small have cosine
 * ≈ 0.8), so hyperplanes through the origin put nearly every vector on the same side and most
 * bits say nothing. Sketches are therefore taken around a center, the mean of the first chunks
 * ever written in that dimension (`sketch_centers`, src/retrieval/chunks.ts), which then never
 * changes. Why a ranking and not hash buckets: in such a cone bucket codes crowd into a few
 * buckets. Both measured in README, "Retrieval".
 *
 * The hyperplanes come from a fixed seed, so every process computes the same sketch for the
 * same vector: changing the seed, the bits or a center invalidates the stored sketches.
 */
const SKETCH_BITS = 512;
/** `chunks.sketch`'s column type, for casts. */
export const SKETCH_TYPE = Prisma.raw(`bit(${SKETCH_BITS})`);
const SEED = 0x5eed_1234;

/** Per dimension, the hyperplanes one after another in one array. */
const planesByDim = new Map<number, Float32Array>();

/** mulberry32: a small, well-mixed 32-bit PRNG, so the planes need no stored state. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** SKETCH_BITS Gaussian hyperplanes of `dim` dimensions (Box–Muller). */
function planes(dim: number): Float32Array {
  let cached = planesByDim.get(dim);
  if (cached) return cached;
  const random = prng(SEED ^ dim);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  cached = Float32Array.from({ length: SKETCH_BITS * dim }, gaussian);
  planesByDim.set(dim, cached);
  return cached;
}

/** The sketch of `v` around `center`, as Postgres reads a bit string: one '1' or '0' per hyperplane. */
export function sketch(v: Float32Array, center: Float32Array): string {
  const dim = v.length;
  const x = new Float64Array(dim);
  for (let i = 0; i < dim; i++) x[i] = v[i]! - center[i]!;
  const all = planes(dim);
  const bits = new Array<string>(SKETCH_BITS);
  for (let p = 0, at = 0; p < SKETCH_BITS; p++, at += dim) {
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += all[at + i]! * x[i]!;
    bits[p] = dot >= 0 ? '1' : '0';
  }
  return bits.join('');
}
