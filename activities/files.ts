import { removeFile, type FileStore } from '../src/services/file-content.js';

/** The file expiry workflow's one activity (workflows/file-expiry.ts). */
export function fileActivities(store: FileStore) {
  return {
    /** Deletes the file and its content; an already deleted file is left as it is, so retries are safe. */
    async expireFile(fileId: string): Promise<void> {
      await removeFile(store, fileId);
    },
  };
}

export type FileActivities = ReturnType<typeof fileActivities>;
