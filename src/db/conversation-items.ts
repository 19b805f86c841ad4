import { NotFoundError } from '../errors.js';
import { Prisma, type Message as MessageRow } from '../generated/prisma/client.js';
import type { Tx } from './client.js';
import { MESSAGE_COLUMNS } from './messages.js';
import type { PageQuery } from './pagination.js';
import { asMessage, type MessageRecord } from './records.js';

/**
 * A conversation's items: the thread's messages (the Assistants API's own rows) and the
 * `conversation_items` rows for what is not a message. Ids of both kinds share a time-ordered
 * tail after their prefix (src/ids.ts), so the items are ordered, and paged, by that tail.
 */

/** A stored non-message item: its wire shape with its id. */
export type StoredItem = { id: string; type: string } & Record<string, unknown>;
export type ConversationRow = { kind: 'message'; message: MessageRecord } | { kind: 'item'; item: StoredItem };

type UnionRow = MessageRow & { kind: 'message' | 'item'; item: StoredItem | null };

const tail = (id: string) => id.slice(id.indexOf('_') + 1);

const union = (threadId: string) => Prisma.sql`
  SELECT ${MESSAGE_COLUMNS}, 'message' AS kind, NULL::jsonb AS item, substr(id, strpos(id, '_') + 1) AS k FROM messages WHERE thread_id = ${threadId}
  UNION ALL
  SELECT id, thread_id, created_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'item', item, substr(id, strpos(id, '_') + 1) FROM conversation_items WHERE thread_id = ${threadId}`;

const asRow = (r: UnionRow): ConversationRow => (r.kind === 'item' ? { kind: 'item', item: r.item! } : { kind: 'message', message: asMessage(r) });

/** Every item, oldest first (what the model reads). */
export async function allItems(db: Tx, threadId: string): Promise<ConversationRow[]> {
  const rows = await db.$queryRaw<UnionRow[]>`SELECT * FROM (${union(threadId)}) u ORDER BY k`;
  return rows.map(asRow);
}

/** One page, as OpenAI pages lists (src/db/pagination.ts), by the ids' ordered tails. */
export async function pageItems(db: Tx, threadId: string, q: PageQuery): Promise<{ items: ConversationRow[]; hasMore: boolean }> {
  const desc = q.order === 'desc';
  const conds: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (q.after) conds.push(desc ? Prisma.sql`k < ${tail(q.after)}` : Prisma.sql`k > ${tail(q.after)}`);
  if (q.before) conds.push(desc ? Prisma.sql`k > ${tail(q.before)}` : Prisma.sql`k < ${tail(q.before)}`);
  const backwards = q.before !== undefined && q.after === undefined;
  const ascending = backwards ? desc : !desc;
  const rows = await db.$queryRaw<UnionRow[]>`
    SELECT * FROM (${union(threadId)}) u WHERE ${Prisma.join(conds, ' AND ')}
    ORDER BY k ${Prisma.raw(ascending ? 'ASC' : 'DESC')} LIMIT ${q.limit + 1}`;
  const hasMore = rows.length > q.limit;
  const items = rows.slice(0, q.limit).map(asRow);
  return { items: backwards ? items.reverse() : items, hasMore };
}

export async function findItem(db: Tx, threadId: string, id: string): Promise<ConversationRow> {
  const [row] = await db.$queryRaw<UnionRow[]>`SELECT * FROM (${union(threadId)}) u WHERE id = ${id}`;
  if (!row) throw new NotFoundError('item', id);
  return asRow(row);
}

export async function deleteItem(db: Tx, threadId: string, id: string): Promise<void> {
  const count = await db.$executeRaw`
    WITH m AS (DELETE FROM messages WHERE id = ${id} AND thread_id = ${threadId} RETURNING id),
         i AS (DELETE FROM conversation_items WHERE id = ${id} AND thread_id = ${threadId} RETURNING id)
    SELECT id FROM m UNION ALL SELECT id FROM i`;
  if (count === 0) throw new NotFoundError('item', id);
}

/** Appends items: messages as the thread's messages, the rest as conversation items. */
export async function appendItems(tx: Tx, threadId: string, all: ItemLike[], createdAt: number): Promise<void> {
  const rows = rowsOf(threadId, all, createdAt);
  if (rows.messages.length) await tx.message.createMany({ data: rows.messages });
  if (rows.items.length) await tx.conversationItem.createMany({ data: rows.items.map((item) => ({ id: item.id, threadId, createdAt, item: item as object })) });
}

type ItemLike = { id: string; type?: string; role?: string; content?: unknown; status?: string } & Record<string, unknown>;

/** A Responses content part as the thread's message stores it (the Assistants shape). */
function partOf(p: Record<string, unknown>): object {
  if (p.type === 'input_image' && typeof p.image_url === 'string') return { type: 'image_url', image_url: { url: p.image_url, detail: p.detail ?? 'auto' } };
  if (p.type === 'input_image') return { type: 'image_file', image_file: { file_id: p.file_id, detail: p.detail ?? 'auto' } };
  if (p.type === 'input_file') return { type: 'text', text: { value: `[file ${String(p.file_id ?? p.filename ?? p.file_url ?? '')}]`, annotations: [] } };
  return { type: 'text', text: { value: String(p.text ?? p.refusal ?? ''), annotations: [] } };
}

/** Items as the rows `appendItems` writes: messages become the thread's messages. */
export function rowsOf(threadId: string, items: ItemLike[], createdAt: number): { messages: Prisma.MessageCreateManyInput[]; items: StoredItem[] } {
  const messages: Prisma.MessageCreateManyInput[] = [];
  const others: StoredItem[] = [];
  for (const item of items) {
    if ((item.type ?? 'message') !== 'message') {
      others.push(item as StoredItem);
      continue;
    }
    const content = typeof item.content === 'string' ? [{ type: 'input_text', text: item.content }] : ((item.content ?? []) as Record<string, unknown>[]);
    messages.push({
      id: item.id,
      threadId,
      createdAt,
      role: item.role ?? 'user',
      content: content.map(partOf),
      status: item.status === 'incomplete' ? 'incomplete' : 'completed',
      completedAt: createdAt,
    });
  }
  return { messages, items: others };
}
