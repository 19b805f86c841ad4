import type Router from '@koa/router';
import { addItems, createConversation, deleteConversation, deleteItem, getConversation, getItem, listItems, updateConversation } from '../../services/conversations.js';
import { conversationDeleted, conversationToWire, itemToWire } from '../../wire/conversation.js';
import { body } from '../body.js';
import { envelope, ListQuery } from '../pagination.js';
import { parse } from '../validation.js';
import { includeOf } from '../responses/schemas.js';
import { ConversationCreate, ConversationUpdate, ItemQuery, ItemsCreate } from './schemas.js';

/** The Conversations API, on threads (src/services/conversations.ts). */
export function conversationRoutes(router: Router): void {
  router
    .post('/conversations', async (ctx) => {
      ctx.body = conversationToWire(await createConversation(ctx.state.deps, parse(ConversationCreate, body(ctx)) as never));
    })
    .get('/conversations/:conversation_id', async (ctx) => {
      ctx.body = conversationToWire(await getConversation(ctx.state.deps, ctx.params.conversation_id!));
    })
    .post('/conversations/:conversation_id', async (ctx) => {
      ctx.body = conversationToWire(await updateConversation(ctx.state.deps, ctx.params.conversation_id!, parse(ConversationUpdate, body(ctx)) as never));
    })
    .delete('/conversations/:conversation_id', async (ctx) => {
      await deleteConversation(ctx.state.deps, ctx.params.conversation_id!);
      ctx.body = conversationDeleted(ctx.params.conversation_id!);
    })
    .post('/conversations/:conversation_id/items', async (ctx) => {
      const include = includeOf(parse(ItemQuery, ctx.query));
      const added = (await addItems(ctx.state.deps, ctx.params.conversation_id!, parse(ItemsCreate, body(ctx)) as never)).map((i) => itemToWire(i, include));
      ctx.body = envelope(added as { id: string }[], false);
    })
    .get('/conversations/:conversation_id/items', async (ctx) => {
      const { include, 'include[]': more, ...q } = parse(ListQuery.extend(ItemQuery.shape), ctx.query);
      const { items, hasMore } = await listItems(ctx.state.deps, ctx.params.conversation_id!, q);
      ctx.body = envelope(items.map((i) => itemToWire(i, includeOf({ include, 'include[]': more }))) as { id: string }[], hasMore);
    })
    .get('/conversations/:conversation_id/items/:item_id', async (ctx) => {
      ctx.body = itemToWire(await getItem(ctx.state.deps, ctx.params.conversation_id!, ctx.params.item_id!), includeOf(parse(ItemQuery, ctx.query)));
    })
    .delete('/conversations/:conversation_id/items/:item_id', async (ctx) => {
      ctx.body = conversationToWire(await deleteItem(ctx.state.deps, ctx.params.conversation_id!, ctx.params.item_id!));
    });
}
