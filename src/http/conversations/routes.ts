import type Router from '@koa/router';
import { addItems, createConversation, deleteConversation, deleteItem, getConversation, getItem, listItems, updateConversation } from '../../services/conversations.js';
import type { Deps } from '../../services/deps.js';
import { conversationDeleted, conversationToWire, itemToWire } from '../../wire/conversation.js';
import { body } from '../body.js';
import { envelope, ListQuery } from '../pagination.js';
import { parse } from '../validation.js';
import { includeOf } from '../responses/schemas.js';
import { ConversationCreate, ConversationUpdate, ItemQuery, ItemsCreate } from './schemas.js';

/** The Conversations API, on threads (src/services/conversations.ts). */
export function conversationRoutes(router: Router, deps: Deps): void {
  router
    .post('/conversations', async (ctx) => {
      ctx.body = conversationToWire(await createConversation(deps, parse(ConversationCreate, body(ctx)) as never));
    })
    .get('/conversations/:id', async (ctx) => {
      ctx.body = conversationToWire(await getConversation(deps, ctx.params.id!));
    })
    .post('/conversations/:id', async (ctx) => {
      ctx.body = conversationToWire(await updateConversation(deps, ctx.params.id!, parse(ConversationUpdate, body(ctx)) as never));
    })
    .delete('/conversations/:id', async (ctx) => {
      await deleteConversation(deps, ctx.params.id!);
      ctx.body = conversationDeleted(ctx.params.id!);
    })
    .post('/conversations/:id/items', async (ctx) => {
      const include = includeOf(parse(ItemQuery, ctx.query));
      const added = (await addItems(deps, ctx.params.id!, parse(ItemsCreate, body(ctx)) as never)).map((i) => itemToWire(i, include));
      ctx.body = envelope(added as { id: string }[], false);
    })
    .get('/conversations/:id/items', async (ctx) => {
      const { include, 'include[]': more, ...q } = parse(ListQuery.extend(ItemQuery.shape), ctx.query);
      const { items, hasMore } = await listItems(deps, ctx.params.id!, q);
      ctx.body = envelope(items.map((i) => itemToWire(i, includeOf({ include, 'include[]': more }))) as { id: string }[], hasMore);
    })
    .get('/conversations/:id/items/:item_id', async (ctx) => {
      ctx.body = itemToWire(await getItem(deps, ctx.params.id!, ctx.params.item_id!), includeOf(parse(ItemQuery, ctx.query)));
    })
    .delete('/conversations/:id/items/:item_id', async (ctx) => {
      ctx.body = conversationToWire(await deleteItem(deps, ctx.params.id!, ctx.params.item_id!));
    });
}
