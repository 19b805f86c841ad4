import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Logger } from './log.js';

/** Custom search attributes runs are found by in the Temporal UI (all Keyword). */
export const SEARCH_ATTRIBUTES = ['ProjectId', 'ThreadId', 'AssistantId', 'RunStatus'] as const;

/**
 * Registers the search attributes on a Temporal server that lacks them (an external one, as in
 * docker-compose); the embedded dev server is started with them already.
 */
export async function ensureSearchAttributes(connection: Pick<NativeConnection, 'operatorService'>, namespace: string, log: Logger): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.filter((name) => !customAttributes || !(name in customAttributes));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((name) => [name, 2 /* INDEXED_VALUE_TYPE_KEYWORD */])),
  });
  log.info({ missing }, 'registered Temporal search attributes');
}

/** Ends a workflow whose subject is gone (a deleted thread's run, a deleted file's timer); one already ended is fine. */
export async function terminateIfRunning(client: Client, workflowId: string, reason: string): Promise<void> {
  await client.workflow
    .getHandle(workflowId)
    .terminate(reason)
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
}
