import type Router from '@koa/router';
import { cancelResponse, countInputTokens, createResponse, deleteResponse, getResponse, listInputItems } from '../../services/responses.js';
import { responseDeleted, responseToWire } from '../../wire/response.js';
import { body } from '../body.js';
import { envelope, ListQuery } from '../pagination.js';
import { parse } from '../validation.js';
import { includeOf, IncludeQuery, InputTokensCount, ResponseCreate, ResponseRetrieveQuery } from './schemas.js';
import { awaitResponse, resumeStream, streamResponse } from './stream.js';

/** The Responses API: every response runs as a workflow (workflows/response.ts). */
export function responseRoutes(router: Router): void {
  router
    .post('/responses/input_tokens', async (ctx) => {
      const input = parse(InputTokensCount, body(ctx));
      ctx.body = { object: 'response.input_tokens', input_tokens: await countInputTokens(ctx.state.deps, input as never) };
    })
    .post('/responses', async (ctx) => {
      const { stream, stream_options: _, ...input } = parse(ResponseCreate, body(ctx)) as ReturnType<typeof parse<typeof ResponseCreate>>;
      if (stream) return streamResponse(ctx, ctx.state.deps, input as never);
      ctx.body = input.background ? responseToWire(await createResponse(ctx.state.deps, input as never)) : await awaitResponse(ctx.state.deps, input as never);
    })
    .get('/responses/:response_id', async (ctx) => {
      const q = parse(ResponseRetrieveQuery, ctx.query);
      if (q.stream === 'true') return resumeStream(ctx, ctx.state.deps, ctx.params.response_id!, q.starting_after ?? -1);
      // What the request asked to include, and what this retrieval asks for besides.
      const response = await getResponse(ctx.state.deps, ctx.params.response_id!);
      ctx.body = responseToWire(response, [...response.request.include, ...includeOf(q)]);
    })
    .delete('/responses/:response_id', async (ctx) => {
      await deleteResponse(ctx.state.deps, ctx.params.response_id!);
      ctx.body = responseDeleted(ctx.params.response_id!);
    })
    .post('/responses/:response_id/cancel', async (ctx) => {
      ctx.body = responseToWire(await cancelResponse(ctx.state.deps, ctx.params.response_id!));
    })
    .get('/responses/:response_id/input_items', async (ctx) => {
      // Input items hold no server tool items, so `include` changes nothing here.
      const { include: _, 'include[]': __, ...q } = parse(ListQuery.extend(IncludeQuery), ctx.query);
      const { items, hasMore } = await listInputItems(ctx.state.deps, ctx.params.response_id!, q);
      ctx.body = envelope(items, hasMore);
    });
}
