import type Router from '@koa/router';
import { createMessage, deleteMessage, getMessage, listMessages, updateMessage } from '../../services/messages.js';
import { messageDeleted, messageToWire } from '../../wire/message.js';
import { body } from '../body.js';
import { envelope } from '../pagination.js';
import { MessageInput } from '../schemas.js';
import { parse } from '../validation.js';
import { MessageListQuery, MessageUpdate } from './schemas.js';

export function messageRoutes(router: Router): void {
  router
    .post('/threads/:thread_id/messages', async (ctx) => {
      ctx.body = messageToWire(await createMessage(ctx.state.deps, ctx.params.thread_id!, parse(MessageInput, body(ctx))));
    })
    .get('/threads/:thread_id/messages', async (ctx) => {
      const { items, hasMore } = await listMessages(ctx.state.deps, ctx.params.thread_id!, parse(MessageListQuery, ctx.query));
      ctx.body = envelope(items.map(messageToWire), hasMore);
    })
    .get('/threads/:thread_id/messages/:message_id', async (ctx) => {
      ctx.body = messageToWire(await getMessage(ctx.state.deps, ctx.params.thread_id!, ctx.params.message_id!));
    })
    .post('/threads/:thread_id/messages/:message_id', async (ctx) => {
      ctx.body = messageToWire(await updateMessage(ctx.state.deps, ctx.params.thread_id!, ctx.params.message_id!, parse(MessageUpdate, body(ctx))));
    })
    .delete('/threads/:thread_id/messages/:message_id', async (ctx) => {
      await deleteMessage(ctx.state.deps, ctx.params.thread_id!, ctx.params.message_id!);
      ctx.body = messageDeleted(ctx.params.message_id!);
    });
}
