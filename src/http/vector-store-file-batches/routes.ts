import type Router from '@koa/router';
import type Koa from 'koa';
import { cancelBatch, createBatch, getBatch, listBatchFiles, type BatchState } from '../../services/vector-store-files.js';
import { fileBatchToWire } from '../../wire/vector-store-file-batch.js';
import { vectorStoreFileToWire } from '../../wire/vector-store-file.js';
import { body } from '../body.js';
import { envelope } from '../pagination.js';
import { pollAfter } from '../poll-after.js';
import { parse } from '../validation.js';
import { StoreFileListQuery } from '../vector-store-files/schemas.js';
import { BatchCreate } from './schemas.js';

function sendBatch(ctx: Koa.Context, { batch, counts }: BatchState) {
  const wire = fileBatchToWire(batch, counts);
  pollAfter(ctx, wire.status);
  ctx.body = wire;
}

export function vectorStoreFileBatchRoutes(router: Router): void {
  const base = '/vector_stores/:vector_store_id/file_batches';
  router
    .post(base, async (ctx) => {
      sendBatch(ctx, await createBatch(ctx.state.deps, ctx.params.vector_store_id!, parse(BatchCreate, body(ctx))));
    })
    .get(`${base}/:batch_id`, async (ctx) => {
      sendBatch(ctx, await getBatch(ctx.state.deps, ctx.params.vector_store_id!, ctx.params.batch_id!));
    })
    .post(`${base}/:batch_id/cancel`, async (ctx) => {
      sendBatch(ctx, await cancelBatch(ctx.state.deps, ctx.params.vector_store_id!, ctx.params.batch_id!));
    })
    .get(`${base}/:batch_id/files`, async (ctx) => {
      const { items, hasMore } = await listBatchFiles(ctx.state.deps, ctx.params.vector_store_id!, ctx.params.batch_id!, parse(StoreFileListQuery, ctx.query));
      ctx.body = envelope(items.map(vectorStoreFileToWire), hasMore);
    });
}
