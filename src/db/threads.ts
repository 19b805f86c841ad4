import type { ThreadCreateParams } from 'openai/resources/beta/threads/threads';
import { NotFoundError } from '../errors.js';
import { Prisma } from '../generated/prisma/client.js';
import { asThread, type ThreadRecord } from './records.js';
import { newId } from '../ids.js';
import { nowSeconds } from '../time.js';
import type { Tx } from './client.js';
import { jsonOrDbNull } from './json.js';
import { insertMessages, messageRow } from './messages.js';
import { newRunLock } from './run-lock.js';

/** The `threads` table. Lookups by id throw NotFoundError when there is no such row. */

/**
 * Serialises everything that adds to a thread (messages, runs) on the thread's row lock, so
 * the one-active-run rule holds under concurrent requests. Given a new run's id, the same
 * statement takes that run's lock (src/db/run-lock.ts): one round trip on the way to its start.
 */
export async function lockThread(tx: Tx, threadId: string, newRunId?: string): Promise<void> {
  const held = newRunId ? Prisma.sql`, LATERAL (SELECT ${newRunLock(newRunId)}) AS held` : Prisma.empty;
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM threads ${held} WHERE id = ${threadId} FOR UPDATE OF threads`;
  if (rows.length === 0) throw new NotFoundError('thread', threadId);
}

/** NotFoundError unless the thread exists. */
export async function requireThread(db: Tx, threadId: string): Promise<void> {
  if (!(await db.thread.findUnique({ where: { id: threadId }, select: { id: true } }))) throw new NotFoundError('thread', threadId);
}

/** A new thread's row and its initial messages' rows, in the order given. */
export function newThreadRows(projectId: string, input: ThreadCreateParams) {
  const createdAt = nowSeconds();
  const thread = { id: newId('thread'), projectId, createdAt, toolResources: jsonOrDbNull(input.tool_resources), metadata: input.metadata ?? {} };
  return { thread, messages: (input.messages ?? []).map((m) => messageRow(thread.id, m, createdAt)) };
}

export async function insertThread(tx: Tx, rows: ReturnType<typeof newThreadRows>): Promise<ThreadRecord> {
  const thread = await tx.thread.create({ data: rows.thread });
  await insertMessages(tx, rows.messages);
  return asThread(thread);
}

export async function findThread(db: Tx, id: string): Promise<ThreadRecord> {
  const row = await db.thread.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('thread', id);
  return asThread(row);
}

export async function updateThread(db: Tx, id: string, data: Prisma.ThreadUpdateInput): Promise<ThreadRecord> {
  return asThread(await db.thread.update({ where: { id }, data }));
}

/** Messages, runs and steps go with it (foreign keys cascade). */
export async function deleteThread(db: Tx, id: string): Promise<void> {
  const { count } = await db.thread.deleteMany({ where: { id } });
  if (count === 0) throw new NotFoundError('thread', id);
}
