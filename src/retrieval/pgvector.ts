import type { Db } from '../db/client.js';
import type { Embedder } from '../embeddings.js';
import type { Logger } from '../log.js';

/**
 * pgvector, where the server has it (≥ 0.8, for iterative index scans under a filter): an HNSW
 * index takes the place of the LSH prefilter. NOT TESTED ON THIS PROJECT'S MACHINES, which have
 * no pgvector; only the bytea decoding below is (test/retrieval.test.ts).
 *
 * Nothing of it is in the migrations, so that they build the same schema on any Postgres. At
 * start the API adds, once: the extension; `chunks.embedding_vec`, a column generated from
 * `embedding` (so every writer of chunks fills it without knowing about it, and existing rows are
 * backfilled by the ALTER); and one HNSW index per embedding dimension, partial on that
 * dimension, since a model change brings vectors of another length that must not be compared
 * with the old ones. The index for the configured model's dimension is built once its first
 * embedding tells it; until then the same query is answered by an exact scan.
 */
const MIN_VERSION = [0, 8] as const;

/** float32 little-endian bytes → real[]: sign, exponent and mantissa by hand (subnormals read as 0). */
export function embeddingDecoderSql(name: string): string {
  return `CREATE OR REPLACE FUNCTION ${name}(b bytea) RETURNS real[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(CASE WHEN e = 0 THEN 0 ELSE (1 - 2 * s) * (1 + m / 8388608.0::float8) * 2.0::float8 ^ (e - 127) END::real ORDER BY i), '{}')
  FROM (SELECT i, get_byte(b, 4 * i + 3) >> 7 AS s,
               ((get_byte(b, 4 * i + 3) & 127) << 1) | (get_byte(b, 4 * i + 2) >> 7) AS e,
               ((get_byte(b, 4 * i + 2) & 127) << 16) | (get_byte(b, 4 * i + 1) << 8) | get_byte(b, 4 * i) AS m
        FROM generate_series(0, length(b) / 4 - 1) AS i) f
$$`;
}

const versionOk = (v: string) => {
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return major > MIN_VERSION[0] || (major === MIN_VERSION[0] && minor >= MIN_VERSION[1]);
};

const ready = new WeakMap<Db, Promise<boolean>>();

/**
 * Whether searches on `db` use pgvector: the extension is recent enough and the column is there.
 * Asked once per process: a worker started before the API first set pgvector up keeps the LSH
 * path (still correct) until it restarts.
 */
export function usesPgvector(db: Db): Promise<boolean> {
  let known = ready.get(db);
  if (!known) {
    known = db.$queryRaw<{ version: string | null; column: boolean }[]>`
      SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS version,
             EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'chunks' AND column_name = 'embedding_vec') AS column`.then(
      ([row]) => !!row?.version && versionOk(row.version) && row.column,
    );
    ready.set(db, known);
  }
  return known;
}

/**
 * At the API's start: sets pgvector up if the server offers it, and logs which vector search is
 * in use. The index build runs in the background (it needs the model's dimension, and blocks
 * chunk writes while it builds); a failure is logged and leaves exact scans.
 */
export async function preparePgvector(db: Db, embedder: Embedder, log: Logger): Promise<void> {
  const [available] = await db.$queryRaw<{ version: string }[]>`SELECT default_version AS version FROM pg_available_extensions WHERE name = 'vector'`;
  if (!available || !versionOk(available.version)) {
    log.info({ vectorSearch: 'lsh', pgvector: available?.version ?? null }, `vector search: LSH prefilter (pgvector ${available ? `${available.version} is older than ${MIN_VERSION.join('.')}` : 'is not available'})`);
    return;
  }
  try {
    await db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('assistants.pgvector'))`;
        await tx.$executeRawUnsafe('CREATE EXTENSION IF NOT EXISTS vector');
        await tx.$executeRawUnsafe(embeddingDecoderSql('chunk_embedding_real'));
        await tx.$executeRawUnsafe('ALTER TABLE chunks ADD COLUMN IF NOT EXISTS embedding_vec vector GENERATED ALWAYS AS (chunk_embedding_real(embedding)::vector) STORED');
      },
      { timeout: 3_600_000 },
    );
  } catch (err) {
    log.warn({ err, vectorSearch: 'lsh' }, 'vector search: LSH prefilter (pgvector could not be set up)');
    return;
  }
  log.info({ vectorSearch: 'pgvector', pgvector: available.version }, `vector search: pgvector ${available.version}`);
  void (async () => {
    const [probe] = await embedder.embed(['dimension'], 'query');
    const dims = probe!.length;
    await db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('assistants.pgvector'))`;
        await tx.$executeRawUnsafe(
          `CREATE INDEX IF NOT EXISTS chunks_embedding_hnsw_${dims} ON chunks USING hnsw ((embedding_vec::vector(${dims})) vector_cosine_ops) WHERE vector_dims(embedding_vec) = ${dims}`,
        );
      },
      { timeout: 3_600_000 },
    );
    log.info({ vectorSearch: 'pgvector', dims }, `vector search: HNSW index on ${dims}-dimension embeddings ready`);
  })().catch((err: unknown) => log.warn({ err }, 'vector search: the HNSW index could not be built; pgvector searches scan exactly'));
}
