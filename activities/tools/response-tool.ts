import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../../src/db/client.js';
import type { ToolFile } from '../../src/db/records.js';
import { ACTIVE_RESPONSE_STATUSES, appendEvents, eventCursor, lockResponse, responseById, streamIndexOf, updateActiveResponse } from '../../src/db/responses.js';
import type { Logger } from '../../src/log.js';
import { itemDone, numbered } from '../../src/wire/response-events.js';
import { itemToWire } from '../../src/wire/response-items.js';
import type { ToolRegistry } from './registry.js';

const active = (status: string) => (ACTIVE_RESPONSE_STATUSES as readonly string[]).includes(status);

/**
 * Runs one server tool call of a response (its own activity, as a run's: retried,
 * heartbeated, with the tool's own timeout) and writes its finished item into the response's
 * output, with the files it wrote, streaming the item's last events and its
 * `response.output_item.done`. A call already finished (by an attempt that died after
 * writing) is not run again.
 */
export function responseToolActivity(db: Db, tools: ToolRegistry, log: Logger) {
  return async function responseToolCall(responseId: string, itemId: string): Promise<void> {
    const ctx = Context.current();
    const response = await responseById(db, responseId);
    if (!response || !active(response.status)) return;
    const pending = response.output.find((i) => i.id === itemId);
    const tool = pending && tools.itemTool(pending.type);
    if (!pending || !tool) throw ApplicationFailure.nonRetryable(`No server tool runs item ${itemId} of response ${responseId}`, 'server_error');
    if (tool.side.transcript(pending as never, 0).output !== null) return;
    const outputIndex = await streamIndexOf(db, responseId, itemId);
    const at = { output_index: outputIndex ?? response.output.indexOf(pending), item_id: itemId };

    const beat = setInterval(() => ctx.heartbeat(), 1000);
    try {
      const files: ToolFile[] = [];
      const wrote = (f: Omit<ToolFile, 'call_id'>) => files.push({ call_id: itemId, ...f });
      const done = await tool.side.execute(pending as never, { response, signal: ctx.cancellationSignal, heartbeat: () => ctx.heartbeat(), wrote }, at);
      await db.$transaction(async (tx) => {
        // Calls of one turn run side by side: each writes into the response as it now stands.
        const current = await lockResponse(tx, responseId);
        if (!current || !active(current.status)) return;
        const output = current.output.map((i) => (i.id === itemId ? done.item : i));
        const toolFiles = [...current.toolFiles.filter((f) => f.call_id !== itemId), ...files];
        await updateActiveResponse(tx, responseId, { output, toolFiles });
        const next = (await eventCursor(tx, responseId)).last + 1;
        await appendEvents(tx, responseId, numbered([...done.events, itemDone(at.output_index, itemToWire(done.item, current.request.include))], next));
      });
      log.info({ response_id: responseId, tool: pending.type, item_id: itemId }, 'server tool ran');
    } finally {
      clearInterval(beat);
    }
  };
}
