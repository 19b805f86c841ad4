import type Router from '@koa/router';
import type Koa from 'koa';
import type { VectorStoreFileRecord } from '../../db/records.js';
import { createStoreFile, deleteStoreFile, getStoreFile, listStoreFiles, storeFileText, updateStoreFile } from '../../services/vector-store-files.js';
import { fileContentPage, vectorStoreFileDeleted, vectorStoreFileToWire } from '../../wire/vector-store-file.js';
import { body } from '../body.js';
import { envelope } from '../pagination.js';
import { pollAfter } from '../poll-after.js';
import { parse } from '../validation.js';
import { StoreFileCreate, StoreFileListQuery, StoreFileUpdate } from './schemas.js';

function sendFile(ctx: Koa.Context, row: VectorStoreFileRecord) {
  pollAfter(ctx, row.status);
  ctx.body = vectorStoreFileToWire(row);
}

export function vectorStoreFileRoutes(router: Router): void {
  const base = '/vector_stores/:vector_store_id/files';
  router
    .post(base, async (ctx) => {
      sendFile(ctx, await createStoreFile(ctx.state.deps, ctx.params.vector_store_id!, parse(StoreFileCreate, body(ctx))));
    })
    .get(base, async (ctx) => {
      const { items, hasMore } = await listStoreFiles(ctx.state.deps, ctx.params.vector_store_id!, parse(StoreFileListQuery, ctx.query));
      ctx.body = envelope(items.map(vectorStoreFileToWire), hasMore);
    })
    .get(`${base}/:file_id`, async (ctx) => {
      sendFile(ctx, await getStoreFile(ctx.state.deps, ctx.params.vector_store_id!, ctx.params.file_id!));
    })
    .post(`${base}/:file_id`, async (ctx) => {
      const { attributes } = parse(StoreFileUpdate, body(ctx));
      sendFile(ctx, await updateStoreFile(ctx.state.deps, ctx.params.vector_store_id!, ctx.params.file_id!, attributes));
    })
    .delete(`${base}/:file_id`, async (ctx) => {
      await deleteStoreFile(ctx.state.deps, ctx.params.vector_store_id!, ctx.params.file_id!);
      ctx.body = vectorStoreFileDeleted(ctx.params.file_id!);
    })
    .get(`${base}/:file_id/content`, async (ctx) => {
      ctx.body = fileContentPage(await storeFileText(ctx.state.deps, ctx.params.vector_store_id!, ctx.params.file_id!));
    });
}
