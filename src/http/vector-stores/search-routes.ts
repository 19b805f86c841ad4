import type Router from '@koa/router';
import { searchVectorStore } from '../../services/vector-store-search.js';
import { searchResultsToWire } from '../../wire/vector-store-search.js';
import { body } from '../body.js';
import { parse } from '../validation.js';
import { SearchRequest } from './search-schemas.js';

export function vectorStoreSearchRoutes(router: Router): void {
  router.post('/vector_stores/:vector_store_id/search', async (ctx) => {
    const { queries, results } = await searchVectorStore(ctx.state.deps, ctx.params.vector_store_id!, parse(SearchRequest, body(ctx)));
    ctx.body = searchResultsToWire(queries, results);
  });
}
