import type { ThreadCreateParams, ThreadUpdateParams } from 'openai/resources/beta/threads/threads';
import { jsonOrDbNull } from '../db/json.js';
import { runsOf } from '../db/runs.js';
import * as threads from '../db/threads.js';
import type { Prisma } from '../generated/prisma/client.js';
import { attachForFileSearch } from './attachments.js';
import type { Deps } from './deps.js';
import { resolveToolResources, THREAD_STORE_EXPIRY } from './tool-resources.js';

/**
 * A `file_search.vector_stores` helper's store (7-day expiry, as OpenAI's) is made with the
 * thread, and its messages' file_search attachments join the thread's store.
 */
export function createThread(deps: Deps, input: ThreadCreateParams) {
  return deps.db.$transaction(async (tx) => {
    const toolResources = await resolveToolResources(deps, tx, input.tool_resources, THREAD_STORE_EXPIRY);
    const thread = await threads.insertThread(tx, threads.newThreadRows(deps.projectId, { ...input, tool_resources: toolResources }));
    return (await attachForFileSearch(deps, tx, thread.id, input.messages ?? [], (j, i) => `messages[${j}].attachments[${i}].file_id`)) ?? thread;
  }).then(deps.owners.made('thread', deps.projectId));
}

export function getThread({ db }: Deps, id: string) {
  return threads.findThread(db, id);
}

export async function updateThread(deps: Deps, id: string, input: ThreadUpdateParams) {
  const { db } = deps;
  await threads.findThread(db, id);
  const data: Prisma.ThreadUpdateInput = {};
  if (input.tool_resources !== undefined) data.toolResources = jsonOrDbNull(await resolveToolResources(deps, db, input.tool_resources));
  if (input.metadata !== undefined) data.metadata = input.metadata ?? {};
  return threads.updateThread(db, id, data);
}

/** gRPC's NOT_FOUND: the workflow is already gone. */
const GRPC_NOT_FOUND = 5;

/**
 * Messages, runs and steps go with the thread, and so do the runs' workflows: Temporal
 * terminates one still running and deletes each history, which holds tool outputs and the
 * run as it was, so no user text of the thread stays in Temporal for its retention period.
 */
export async function deleteThread({ db, temporal }: Deps, id: string) {
  const { namespace } = temporal.options;
  await Promise.all(
    (await runsOf(db, id)).map((run) =>
      temporal.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId: run.id } }).catch((err: unknown) => {
        if ((err as { code?: number }).code !== GRPC_NOT_FOUND) throw err;
      }),
    ),
  );
  await threads.deleteThread(db, id);
}
