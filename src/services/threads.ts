import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import type { Prisma } from '../generated/prisma/client.js';
import { notFound } from '../http/errors.js';
import { MessageInput, Metadata, ToolResources } from '../http/schemas.js';
import { newId } from '../ids.js';
import { ACTIVE_STATUSES } from '../run-status.js';
import { nowSeconds } from '../time.js';
import type { Deps } from './deps.js';
import { jsonOrDbNull } from './json.js';
import { messageRow } from './messages.js';

export type Tx = Prisma.TransactionClient;

export const ThreadCreate = z.strictObject({
  messages: z.array(MessageInput).optional(),
  tool_resources: ToolResources.nullish(),
  metadata: Metadata.nullish(),
});
export type ThreadCreate = z.output<typeof ThreadCreate>;
export const ThreadUpdate = z.strictObject({ tool_resources: ToolResources.nullish(), metadata: Metadata.nullish() });

/**
 * Serialises everything that adds to a thread (messages, runs) on the thread's row lock, so
 * the one-active-run rule holds under concurrent requests.
 */
export async function lockThread(tx: Tx, threadId: string): Promise<void> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM threads WHERE id = ${threadId} FOR UPDATE`;
  if (rows.length === 0) throw notFound('thread', threadId);
}

/** 404 unless the thread exists. */
export async function requireThread(db: Tx | Deps['db'], threadId: string): Promise<void> {
  if (!(await db.thread.findUnique({ where: { id: threadId }, select: { id: true } }))) throw notFound('thread', threadId);
}

/** The thread's active run, if any (raw: it is on the path to a run's first token). */
export async function activeRunOf(tx: Tx, threadId: string): Promise<{ id: string } | undefined> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM runs WHERE thread_id = ${threadId} AND status = ANY(${[...ACTIVE_STATUSES]}::text[]) LIMIT 1`;
  return rows[0];
}

/** A new thread's row and its initial messages' rows, in the order given. */
export function newThreadRows(input: ThreadCreate) {
  const createdAt = nowSeconds();
  const thread = { id: newId('thread'), createdAt, toolResources: jsonOrDbNull(input.tool_resources), metadata: input.metadata ?? {} };
  return { thread, messages: (input.messages ?? []).map((m) => messageRow(thread.id, m, createdAt)) };
}

export async function insertThread(tx: Tx, rows: ReturnType<typeof newThreadRows>) {
  const thread = await tx.thread.create({ data: rows.thread });
  if (rows.messages.length) await tx.message.createMany({ data: rows.messages });
  return thread;
}

export function createThread({ db }: Deps, input: ThreadCreate) {
  return db.$transaction((tx) => insertThread(tx, newThreadRows(input)));
}

export async function getThread({ db }: Deps, id: string) {
  const row = await db.thread.findUnique({ where: { id } });
  if (!row) throw notFound('thread', id);
  return row;
}

export async function updateThread(deps: Deps, id: string, input: z.output<typeof ThreadUpdate>) {
  await getThread(deps, id);
  const data: Prisma.ThreadUpdateInput = {};
  if (input.tool_resources !== undefined) data.toolResources = jsonOrDbNull(input.tool_resources);
  if (input.metadata !== undefined) data.metadata = input.metadata ?? {};
  return deps.db.thread.update({ where: { id }, data });
}

/**
 * Messages, runs and steps go with the thread (foreign keys cascade); a run still active is
 * stopped first, so no workflow keeps working for a thread that is gone.
 */
export async function deleteThread({ db, temporal }: Deps, id: string) {
  const active = await db.run.findMany({ where: { threadId: id, status: { in: [...ACTIVE_STATUSES] } }, select: { id: true } });
  for (const run of active) {
    await temporal.workflow
      .getHandle(run.id)
      .terminate('thread deleted')
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
  }
  const { count } = await db.thread.deleteMany({ where: { id } });
  if (count === 0) throw notFound('thread', id);
}
