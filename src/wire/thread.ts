import type { Thread, ThreadDeleted } from 'openai/resources/beta/threads/threads';
import type { ThreadRecord } from '../db/records.js';

export function threadToWire(row: ThreadRecord): Thread {
  return {
    id: row.id,
    object: 'thread',
    created_at: row.createdAt,
    tool_resources: row.toolResources ?? {},
    metadata: row.metadata ?? {},
  };
}

export const threadDeleted = (id: string): ThreadDeleted => ({ id, object: 'thread.deleted', deleted: true });
