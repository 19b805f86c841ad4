import type Router from '@koa/router';
import { createAssistant, deleteAssistant, getAssistant, listAssistants, updateAssistant } from '../../services/assistants.js';
import { assistantDeleted, assistantToWire } from '../../wire/assistant.js';
import { body } from '../body.js';
import { envelope, ListQuery } from '../pagination.js';
import { parse } from '../validation.js';
import { AssistantCreate, AssistantUpdate } from './schemas.js';

export function assistantRoutes(router: Router): void {
  router
    .post('/assistants', async (ctx) => {
      ctx.body = assistantToWire(await createAssistant(ctx.state.deps, parse(AssistantCreate, body(ctx))));
    })
    .get('/assistants', async (ctx) => {
      const { items, hasMore } = await listAssistants(ctx.state.deps, parse(ListQuery, ctx.query));
      ctx.body = envelope(items.map(assistantToWire), hasMore);
    })
    .get('/assistants/:assistant_id', async (ctx) => {
      ctx.body = assistantToWire(await getAssistant(ctx.state.deps, ctx.params.assistant_id!));
    })
    .post('/assistants/:assistant_id', async (ctx) => {
      ctx.body = assistantToWire(await updateAssistant(ctx.state.deps, ctx.params.assistant_id!, parse(AssistantUpdate, body(ctx))));
    })
    .delete('/assistants/:assistant_id', async (ctx) => {
      await deleteAssistant(ctx.state.deps, ctx.params.assistant_id!);
      ctx.body = assistantDeleted(ctx.params.assistant_id!);
    });
}
