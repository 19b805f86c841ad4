import type { ThreadCreateParams, ThreadUpdateParams } from 'openai/resources/beta/threads/threads';
import { jsonOrDbNull } from '../db/json.js';
import { runsOf } from '../db/runs.js';
import * as threads from '../db/threads.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Deps } from './deps.js';

export function createThread({ db }: Deps, input: ThreadCreateParams) {
  return db.$transaction((tx) => threads.insertThread(tx, threads.newThreadRows(input)));
}

export function getThread({ db }: Deps, id: string) {
  return threads.findThread(db, id);
}

export async function updateThread({ db }: Deps, id: string, input: ThreadUpdateParams) {
  await threads.findThread(db, id);
  const data: Prisma.ThreadUpdateInput = {};
  if (input.tool_resources !== undefined) data.toolResources = jsonOrDbNull(input.tool_resources);
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
