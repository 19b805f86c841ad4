import { NotFoundError } from '../errors.js';
import { Prisma, type Assistant } from '../generated/prisma/client.js';
import type { Tx } from './client.js';
import { page, type PageQuery } from './pagination.js';
import { columnsOf } from './raw.js';

/** The `assistants` table. Lookups by id throw NotFoundError when there is no such row. */

export function insertAssistant(db: Tx, data: Prisma.AssistantCreateInput): Promise<Assistant> {
  return db.assistant.create({ data });
}

export async function findAssistant(db: Tx, id: string): Promise<Assistant> {
  const row = await db.assistant.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('assistant', id);
  return row;
}

/** The same read as a raw statement: it is on a run's path to its first token (src/db/raw.ts). */
export async function assistantForRun(tx: Tx, id: string): Promise<Assistant> {
  const [row] = await tx.$queryRaw<Assistant[]>`SELECT ${columnsOf(Prisma.AssistantScalarFieldEnum)} FROM assistants WHERE id = ${id}`;
  if (!row) throw new NotFoundError('assistant', id);
  return row;
}

export function pageAssistants(db: Tx, q: PageQuery) {
  return page(q, (args) => db.assistant.findMany(args));
}

export function updateAssistant(db: Tx, id: string, data: Prisma.AssistantUpdateInput): Promise<Assistant> {
  return db.assistant.update({ where: { id }, data });
}

export async function deleteAssistant(db: Tx, id: string): Promise<void> {
  const { count } = await db.assistant.deleteMany({ where: { id } });
  if (count === 0) throw new NotFoundError('assistant', id);
}
