import type { Db } from '../src/db/client.js';
import { expireIfDue } from '../src/db/vector-stores.js';
import type { Logger } from '../src/log.js';

/** The vector-store expiry workflow's one activity (workflows/vector-store-expiry.ts). */
export function vectorStoreActivities(db: Db, log: Logger) {
  return {
    /** Expires the store if it is due and returns null, else when to look again (it was used meanwhile). */
    async expireVectorStore(vectorStoreId: string): Promise<number | null> {
      const next = await expireIfDue(db, vectorStoreId);
      if (next === null) log.info({ vector_store_id: vectorStoreId }, 'vector store expired or gone');
      return next;
    },
  };
}

export type VectorStoreActivities = ReturnType<typeof vectorStoreActivities>;
