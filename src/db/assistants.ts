import { NotFoundError } from '../errors.js';
import { Prisma, type Assistant } from '../generated/prisma/client.js';
import { asAssistant, type AssistantRecord } from './records.js';
import type { Tx } from './client.js';
import { page, type PageQuery } from './pagination.js';
import { columnsOf } from './raw.js';

/** The `assistants` table. Lookups by id throw NotFoundError when there is no such row. */

export async function insertAssistant(db: Tx, data: Prisma.AssistantCreateInput): Promise<AssistantRecord> {
  return asAssistant(await db.assistant.create({ data }));
}

export async function findAssistant(db: Tx, id: string): Promise<AssistantRecord> {
  const row = await db.assistant.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('assistant', id);
  return asAssistant(row);
}

/** The same read as a raw statement: it is on a run's path to its first token (src/db/raw.ts). */
export async function assistantForRun(tx: Tx, projectId: string, id: string): Promise<AssistantRecord> {
  const [row] = await tx.$queryRaw<Assistant[]>`SELECT ${columnsOf(Prisma.AssistantScalarFieldEnum)} FROM assistants WHERE id = ${id} AND project_id = ${projectId}`;
  if (!row) throw new NotFoundError('assistant', id);
  return asAssistant(row);
}

export async function pageAssistants(db: Tx, projectId: string, q: PageQuery) {
  const { items, hasMore } = await page(q, (args) => db.assistant.findMany({ ...args, where: { ...args.where, projectId } }));
  return { items: items.map(asAssistant), hasMore };
}

export async function updateAssistant(db: Tx, id: string, data: Prisma.AssistantUpdateInput): Promise<AssistantRecord> {
  return asAssistant(await db.assistant.update({ where: { id }, data }));
}

export async function deleteAssistant(db: Tx, id: string): Promise<void> {
  const { count } = await db.assistant.deleteMany({ where: { id } });
  if (count === 0) throw new NotFoundError('assistant', id);
}
