import type { Message, MessageDeleted } from 'openai/resources/beta/threads/messages';
import type { MessageRecord } from '../db/records.js';

export function messageToWire(row: MessageRecord): Message {
  return {
    id: row.id,
    object: 'thread.message',
    created_at: row.createdAt,
    thread_id: row.threadId,
    status: row.status,
    incomplete_details: row.incompleteDetails,
    completed_at: row.completedAt,
    incomplete_at: row.incompleteAt,
    role: row.role,
    content: row.content,
    assistant_id: row.assistantId,
    run_id: row.runId,
    attachments: row.attachments,
    metadata: row.metadata ?? {},
  };
}

export const messageDeleted = (id: string): MessageDeleted => ({ id, object: 'thread.message.deleted', deleted: true });
