import type { Thread, ThreadDeleted } from 'openai/resources/beta/threads/threads';
import type { Thread as ThreadRow } from '../generated/prisma/client.js';
import { metadataOf } from './common.js';

export function threadToWire(row: ThreadRow): Thread {
  return {
    id: row.id,
    object: 'thread',
    created_at: row.createdAt,
    tool_resources: (row.toolResources ?? {}) as Thread['tool_resources'],
    metadata: metadataOf(row.metadata),
  };
}

export const threadDeleted = (id: string): ThreadDeleted => ({ id, object: 'thread.deleted', deleted: true });
