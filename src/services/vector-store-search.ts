import { NotFoundError } from '../errors.js';
import type { AttributeFilter } from '../retrieval/filters.js';
import { DEFAULT_FUSION } from '../retrieval/fusion.js';
import { searchStores, type SearchResult } from '../retrieval/search.js';
import type { Deps } from './deps.js';

export interface VectorStoreSearchInput {
  query: string | string[];
  filters?: AttributeFilter | null | undefined;
  max_num_results: number;
  ranking_options?: { ranker?: 'none' | 'auto' | 'default-2024-11-15' | undefined; score_threshold?: number | undefined } | undefined;
  /** Accepted; queries are searched as given. */
  rewrite_query?: boolean | null | undefined;
}

/**
 * `POST /vector_stores/{id}/search`. `ranker: "none"` skips the text half and ranks by the
 * embeddings alone (OpenAI's "disable re-ranking, for latency").
 */
export async function searchVectorStore(deps: Deps, vectorStoreId: string, input: VectorStoreSearchInput): Promise<{ queries: string[]; results: SearchResult[] }> {
  const store = await deps.db.vectorStore.findUnique({ where: { id: vectorStoreId }, select: { id: true } });
  if (!store) throw new NotFoundError('vector store', vectorStoreId);
  const started = performance.now();
  const { results, step, candidates } = await searchStores(deps.db, deps.embedder, {
    vectorStoreIds: [vectorStoreId],
    query: input.query,
    maxResults: input.max_num_results,
    scoreThreshold: input.ranking_options?.score_threshold,
    filters: input.filters,
    fusion: input.ranking_options?.ranker === 'none' ? { kind: 'vector' } : DEFAULT_FUSION,
  });
  deps.log.debug({ vectorStoreId, step, candidates, results: results.length, ms: Math.round(performance.now() - started) }, 'vector store searched');
  return { queries: typeof input.query === 'string' ? [input.query] : input.query, results };
}
