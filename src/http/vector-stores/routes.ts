import type Router from '@koa/router';
import { createVectorStore, deleteVectorStore, getVectorStore, listVectorStores, updateVectorStore, type VectorStoreState } from '../../services/vector-stores.js';
import { vectorStoreDeleted, vectorStoreToWire } from '../../wire/vector-store.js';
import { body } from '../body.js';
import { envelope, ListQuery } from '../pagination.js';
import { parse } from '../validation.js';
import { VectorStoreCreate, VectorStoreUpdate } from './schemas.js';

const toWire = ({ store, files }: VectorStoreState) => vectorStoreToWire(store, files);

export function vectorStoreRoutes(router: Router): void {
  router
    .post('/vector_stores', async (ctx) => {
      ctx.body = toWire(await createVectorStore(ctx.state.deps, parse(VectorStoreCreate, body(ctx))));
    })
    .get('/vector_stores', async (ctx) => {
      const { items, hasMore } = await listVectorStores(ctx.state.deps, parse(ListQuery, ctx.query));
      ctx.body = envelope(items.map(toWire), hasMore);
    })
    .get('/vector_stores/:vector_store_id', async (ctx) => {
      ctx.body = toWire(await getVectorStore(ctx.state.deps, ctx.params.vector_store_id!));
    })
    .post('/vector_stores/:vector_store_id', async (ctx) => {
      ctx.body = toWire(await updateVectorStore(ctx.state.deps, ctx.params.vector_store_id!, parse(VectorStoreUpdate, body(ctx))));
    })
    .delete('/vector_stores/:vector_store_id', async (ctx) => {
      await deleteVectorStore(ctx.state.deps, ctx.params.vector_store_id!);
      ctx.body = vectorStoreDeleted(ctx.params.vector_store_id!);
    });
}
