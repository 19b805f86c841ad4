import type { ThreadCreateParams, ThreadUpdateParams } from 'openai/resources/beta/threads/threads';
import { jsonOrDbNull } from '../db/json.js';
import { activeRunsOf } from '../db/runs.js';
import * as threads from '../db/threads.js';
import type { Prisma } from '../generated/prisma/client.js';
import { terminateIfRunning } from '../temporal.js';
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

/**
 * Messages, runs and steps go with the thread; a run still active is stopped first, so no
 * workflow keeps working for a thread that is gone.
 */
export async function deleteThread({ db, temporal }: Deps, id: string) {
  for (const run of await activeRunsOf(db, id)) await terminateIfRunning(temporal, run.id, 'thread deleted');
  await threads.deleteThread(db, id);
}
