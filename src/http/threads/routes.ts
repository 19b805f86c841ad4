import type Router from '@koa/router';
import { createThread, deleteThread, getThread, updateThread } from '../../services/threads.js';
import { threadDeleted, threadToWire } from '../../wire/thread.js';
import { body } from '../body.js';
import { parse } from '../validation.js';
import { ThreadCreate, ThreadUpdate } from './schemas.js';

export function threadRoutes(router: Router): void {
  router
    .post('/threads', async (ctx) => {
      ctx.body = threadToWire(await createThread(ctx.state.deps, parse(ThreadCreate, body(ctx))));
    })
    .get('/threads/:thread_id', async (ctx) => {
      ctx.body = threadToWire(await getThread(ctx.state.deps, ctx.params.thread_id!));
    })
    .post('/threads/:thread_id', async (ctx) => {
      ctx.body = threadToWire(await updateThread(ctx.state.deps, ctx.params.thread_id!, parse(ThreadUpdate, body(ctx))));
    })
    .delete('/threads/:thread_id', async (ctx) => {
      await deleteThread(ctx.state.deps, ctx.params.thread_id!);
      ctx.body = threadDeleted(ctx.params.thread_id!);
    });
}
