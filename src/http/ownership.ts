import type Router from '@koa/router';
import type { OwnedKind } from '../services/ownership.js';

/** Path parameters that name an object a project owns directly, and its kind. */
const OWNED: Record<string, OwnedKind> = {
  assistant_id: 'assistant',
  thread_id: 'thread',
  conversation_id: 'conversation',
  file_id: 'file',
  vector_store_id: 'vector store',
  response_id: 'response',
};

/**
 * Every route naming such an object answers 404, exactly as for a missing one, unless the
 * request's project owns it — checked here, once, for every endpoint, before any handler runs.
 * What an object holds (a thread's runs and messages, a store's files and batches) is reached
 * only through it, so checking the owner covers them. A store's file is the store's: its own
 * 404 is the store files' wording, which the handler gives.
 */
export function requireOwnedParams(router: Router): void {
  for (const [param, kind] of Object.entries(OWNED)) {
    router.param(param, async (id, ctx, next) => {
      if (!(param === 'file_id' && ctx.params.vector_store_id !== undefined)) {
        const { deps } = ctx.state;
        await deps.owners.require(deps.projectId, kind, id);
      }
      return next();
    });
  }
}
