import { Context } from '@temporalio/activity';
import type { Db } from '../src/db/client.js';
import { allItems } from '../src/db/conversation-items.js';
import { ACTIVE_RESPONSE_STATUSES, responseById, responseChain, type ResponseRecord } from '../src/db/responses.js';
import { readCommitted } from '../src/db/run-lock.js';
import type { ToolChoice } from '../src/llm/index.js';
import type { Logger } from '../src/log.js';
import type { ResponseBegun } from './response-state.js';
import { RESPONSE_SERVER_TOOLS, type ToolRegistry } from './tools/registry.js';
import { driveTurn, type ModelTurnConfig } from './turn/drive.js';
import { TurnMachine } from './turn/machine.js';
import { contextItems, responseInput } from './turn/response-input.js';
import { ResponsesProjector } from './turn/responses-projector.js';
import type { ResponseTurnResult } from './types.js';

/**
 * A response's model call, on the same turn machine and tool registry as a run's
 * (./model-turn.ts), with the Responses projector: the first turn, and each turn after its
 * server tools ran. A retried attempt numbers its events on from where the earlier one stopped.
 */
export function responseTurnActivity(db: Db, llm: ModelTurnConfig, log: Logger, tools: ToolRegistry, begin: (id: string) => Promise<ResponseBegun>) {
  return async function responseTurn(responseId: string): Promise<ResponseTurnResult> {
    const ctx = Context.current();
    // The API may still be committing the response (src/db/run-lock.ts).
    const response = await readCommitted(db, responseId, () => responseById(db, responseId));
    if (!response) return { kind: 'gone' };
    if (!(ACTIVE_RESPONSE_STATUSES as readonly string[]).includes(response.status)) return { kind: 'ended', status: response.status };
    const [chain, conversation] = await Promise.all([
      response.previousResponseId ? responseChain(db, response.previousResponseId) : [],
      response.conversationId ? allItems(db, response.conversationId) : null,
    ]);
    const ready = begin(responseId);
    const r = response.request;
    const items = contextItems(response, chain, conversation);
    const notes = await tools.responseInstructions(response);
    // After its server tools ran, a turn is not forced to call one again (that would never end),
    // and past `max_tool_calls` it is offered the client's functions only.
    const serverCalls = response.output.filter((i) => tools.itemTool(i.type)).length;
    const offered = r.max_tool_calls !== null && serverCalls >= r.max_tool_calls ? response.tools.filter((t) => t.type === 'function') : response.tools;
    return driveTurn({
      llm,
      machine: new TurnMachine(new ResponsesProjector(db, response, ready, tools, items)),
      request: {
        model: response.model,
        messages: responseInput(response, items, tools, notes),
        tools: tools.offered(offered),
        toolChoice: toolChoiceOf(r.tool_choice, serverCalls > 0),
        parallelToolCalls: r.parallel_tool_calls,
        temperature: r.temperature,
        topP: r.top_p,
        maxTokens: r.max_output_tokens,
        responseFormat: responseFormatOf(r.text.format),
      },
      ready,
      notStarted: (begun) => (begun.kind === 'ok' ? undefined : begun.result),
      completionCap: r.max_output_tokens !== null,
      expiresAt: null,
      project: { db, id: response.projectId },
      log: log.child({ response_id: responseId, attempt: ctx.info.attempt }),
    });
  };
}

/** `tool_choice` as the model backends take it; a forced server tool is its function. */
function toolChoiceOf(choice: ResponseRecord['request']['tool_choice'], afterServerTools: boolean): ToolChoice {
  if (choice === 'none' || choice === 'auto') return choice;
  if (afterServerTools) return 'auto';
  if (choice === 'required') return choice;
  const c = choice as { type?: string; name?: string };
  if (c.type === 'function' && c.name) return { name: c.name };
  // A server tool's function is named as its type (registry.ts).
  return c.type && RESPONSE_SERVER_TOOLS.has(c.type) ? { name: c.type } : 'auto';
}

/** `text.format` in the Assistants `response_format` shape the model backends take. */
function responseFormatOf(format: Record<string, unknown>): unknown {
  if (format.type !== 'json_schema') return { type: format.type };
  const { name, description, schema, strict } = format;
  return { type: 'json_schema', json_schema: { name, description, schema, strict } };
}
