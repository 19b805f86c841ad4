import type { VectorStoreSearchResponse } from 'openai/resources/vector-stores/vector-stores';
import type { SearchResult } from '../retrieval/search.js';

/** `vector_store.search_results.page`: one page, never more; `search_query` lists what was searched (the schema's array). */
export interface SearchResultsPage {
  object: 'vector_store.search_results.page';
  search_query: string[];
  data: VectorStoreSearchResponse[];
  has_more: false;
  next_page: null;
}

export function searchResultsToWire(queries: string[], results: SearchResult[]): SearchResultsPage {
  return {
    object: 'vector_store.search_results.page',
    search_query: queries,
    data: results.map((r) => ({
      file_id: r.fileId,
      filename: r.filename,
      score: r.score,
      attributes: r.attributes,
      content: r.chunks.map((c) => ({ type: 'text', text: c.text })),
    })),
    has_more: false,
    next_page: null,
  };
}
