import type { Db } from '../db/client.js';
import { fileNotFound } from '../db/files.js';
import { vectorStoreNotFound } from '../db/vector-stores.js';
import { NotFoundError } from '../errors.js';
import { threadIdOf } from '../ids.js';

/** The objects a project owns directly; what they hold (messages, runs, store files…) is theirs through them. */
export type OwnedKind = 'assistant' | 'thread' | 'conversation' | 'file' | 'vector store' | 'response';

const readers: Record<OwnedKind, (db: Db, id: string) => Promise<{ projectId: string } | null>> = {
  assistant: (db, id) => db.assistant.findUnique({ where: { id }, select: { projectId: true } }),
  thread: (db, id) => db.thread.findUnique({ where: { id }, select: { projectId: true } }),
  conversation: (db, id) => db.thread.findUnique({ where: { id: threadIdOf(id) }, select: { projectId: true } }),
  file: (db, id) => db.file.findUnique({ where: { id }, select: { projectId: true } }),
  'vector store': (db, id) => db.vectorStore.findUnique({ where: { id }, select: { projectId: true } }),
  response: (db, id) => db.response.findUnique({ where: { id }, select: { projectId: true } }),
};

/** Each kind's 404, worded as for an object that does not exist at all: another project's must look the same. */
export function notFound(kind: OwnedKind, id: string, param?: string): NotFoundError {
  if (kind === 'file') return fileNotFound(id);
  if (kind === 'vector store') return param ? new NotFoundError(kind, id, undefined, param) : vectorStoreNotFound(id);
  return new NotFoundError(kind, id, undefined, param ?? null);
}

/** Owners remembered; an object never changes project, so a remembered owner cannot go stale. */
const REMEMBERED = 20_000;

/**
 * Who owns an object, read once and then remembered (a deleted object's entry is harmless: the
 * request that follows finds no row, as for any missing id).
 */
export class Owners {
  private readonly known = new Map<string, string>();

  constructor(private readonly db: Db) {}

  async projectOf(kind: OwnedKind, id: string): Promise<string | undefined> {
    const key = `${kind}:${id}`;
    const cached = this.known.get(key);
    if (cached !== undefined) return cached;
    const row = await readers[kind](this.db, id);
    if (!row) return undefined;
    this.remember(key, row.projectId);
    return row.projectId;
  }

  /**
   * Remembers the owner of what a request made, once its transaction committed: the next
   * request on it (a run on a new thread) then needs no read. `.then(owners.made(…))`.
   */
  made(kind: OwnedKind, projectId: string) {
    return <T extends { id: string }>(row: T): T => {
      this.remember(`${kind}:${row.id}`, projectId);
      return row;
    };
  }

  private remember(key: string, projectId: string): void {
    if (this.known.size >= REMEMBERED) this.known.delete(this.known.keys().next().value!);
    this.known.set(key, projectId);
  }

  /** NotFoundError, as for a missing object, unless `projectId` owns it. */
  async require(projectId: string, kind: OwnedKind, id: string, param?: string): Promise<void> {
    if ((await this.projectOf(kind, id)) !== projectId) throw notFound(kind, id, param);
  }
}
