/**
 * Random-hyperplane locality-sensitive hashing: the candidate prefilter for vector search on a
 * Postgres without pgvector. Each of LSH_TABLES tables hashes a vector to LSH_BITS sign bits of
 * its projections on random hyperplanes; vectors at a small angle share a table's bucket with
 * high probability. A chunk stores one code per table (`chunks.lsh`, GIN-indexed), each code
 * tagged with its table so that one `&&` over the array probes every table at once.
 *
 * The hyperplanes come from a fixed seed, so every process (API, workers, a restarted one)
 * computes the same codes for the same vector: changing the seed, the tables or the bits
 * invalidates every stored code.
 */
export const LSH_TABLES = 8;
export const LSH_BITS = 12;
const SEED = 0x5eed_1234;

const planesByDim = new Map<number, Float32Array[]>();

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

/** LSH_TABLES × LSH_BITS Gaussian hyperplanes of `dim` dimensions (Box–Muller). */
function planes(dim: number): Float32Array[] {
  let cached = planesByDim.get(dim);
  if (cached) return cached;
  const random = prng(SEED ^ dim);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  cached = Array.from({ length: LSH_TABLES * LSH_BITS }, () => Float32Array.from({ length: dim }, gaussian));
  planesByDim.set(dim, cached);
  return cached;
}

/** The projections of `v` on every hyperplane, table by table. */
function projections(v: Float32Array): Float32Array {
  const all = planes(v.length);
  const out = new Float32Array(all.length);
  for (let p = 0; p < all.length; p++) {
    const plane = all[p]!;
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += plane[i]! * v[i]!;
    out[p] = dot;
  }
  return out;
}

const tagged = (table: number, bucket: number) => (table << LSH_BITS) | bucket;

/** A stored chunk's codes: its bucket in each table. */
export function lshCodes(v: Float32Array): number[] {
  const proj = projections(v);
  const codes: number[] = [];
  for (let t = 0; t < LSH_TABLES; t++) {
    let bucket = 0;
    for (let b = 0; b < LSH_BITS; b++) if (proj[t * LSH_BITS + b]! >= 0) bucket |= 1 << b;
    codes.push(tagged(t, bucket));
  }
  return codes;
}

/**
 * A query's codes, multi-probe: in each table its own bucket and the `flips` neighbours that
 * differ in one of the bits whose projection was nearest zero (the likeliest to have gone the
 * other way for a near neighbour), so fewer tables reach the same recall.
 */
export function probeCodes(v: Float32Array, flips = 3): number[] {
  const proj = projections(v);
  const codes: number[] = [];
  for (let t = 0; t < LSH_TABLES; t++) {
    let bucket = 0;
    const bits: { bit: number; margin: number }[] = [];
    for (let b = 0; b < LSH_BITS; b++) {
      const x = proj[t * LSH_BITS + b]!;
      if (x >= 0) bucket |= 1 << b;
      bits.push({ bit: b, margin: Math.abs(x) });
    }
    codes.push(tagged(t, bucket));
    bits.sort((a, b) => a.margin - b.margin);
    for (const { bit } of bits.slice(0, flips)) codes.push(tagged(t, bucket ^ (1 << bit)));
  }
  return codes;
}
