import type { Message, MessageContent, MessageDeleted } from 'openai/resources/beta/threads/messages';
import type { Message as MessageRow } from '../generated/prisma/client.js';
import { metadataOf } from './common.js';

export function messageToWire(row: MessageRow): Message {
  return {
    id: row.id,
    object: 'thread.message',
    created_at: row.createdAt,
    thread_id: row.threadId,
    status: row.status as Message['status'],
    incomplete_details: row.incompleteDetails as Message['incomplete_details'],
    completed_at: row.completedAt,
    incomplete_at: row.incompleteAt,
    role: row.role as Message['role'],
    content: row.content as unknown as MessageContent[],
    assistant_id: row.assistantId,
    run_id: row.runId,
    attachments: row.attachments as unknown as Message['attachments'],
    metadata: metadataOf(row.metadata),
  };
}

export const messageDeleted = (id: string): MessageDeleted => ({ id, object: 'thread.message.deleted', deleted: true });
