import type { Conversation } from 'openai/resources/conversations/conversations';
import type { ConversationItem } from 'openai/resources/conversations/items';
import type { ConversationRow } from '../db/conversation-items.js';
import type { MessageRecord, ThreadRecord } from '../db/records.js';
import { conversationIdOf } from '../ids.js';
import { itemToWire as itemShown } from './response-items.js';

export const conversationToWire = (row: ThreadRecord): Conversation => ({
  id: conversationIdOf(row.id),
  object: 'conversation',
  created_at: row.createdAt,
  metadata: row.metadata ?? {},
});

export const conversationDeleted = (id: string) => ({ id, object: 'conversation.deleted' as const, deleted: true });

/** A thread's message as a conversation item: the assistant's text is `output_text`, everyone else's `input_text`. */
export function messageToItem(m: MessageRecord): ConversationItem {
  const assistant = m.role === 'assistant';
  const content = m.content.flatMap((p): object[] => {
    if (p.type === 'text') return [assistant ? { type: 'output_text', text: p.text.value, annotations: [] } : { type: 'input_text', text: p.text.value }];
    if (p.type === 'image_url') return [{ type: 'input_image', image_url: p.image_url.url, detail: p.image_url.detail ?? 'auto' }];
    if (p.type === 'image_file') return [{ type: 'input_image', file_id: p.image_file.file_id, detail: p.image_file.detail ?? 'auto' }];
    return [];
  });
  return { type: 'message', id: m.id, role: m.role, status: m.status === 'in_progress' ? 'in_progress' : m.status === 'incomplete' ? 'incomplete' : 'completed', content } as ConversationItem;
}

/** A conversation's item; a server tool's shows what `include` asks for (./response-items.ts). */
export const itemToWire = (row: ConversationRow, include: readonly string[]): ConversationItem =>
  row.kind === 'message' ? messageToItem(row.message) : itemShown(row.item as unknown as ConversationItem, include);
