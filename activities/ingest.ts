import { Context } from '@temporalio/activity';
import { buffer } from 'node:stream/consumers';
import { awaitNewStoreFiles, failStoreFile, pendingIngestion, publishChunks } from '../src/db/vector-store-files.js';
import type { Embedder } from '../src/embeddings.js';
import { NotFoundError } from '../src/errors.js';
import { chunkText } from '../src/ingest/chunking.js';
import { ExtractionError, extractText } from '../src/ingest/extract.js';
import type { Logger } from '../src/log.js';
import { openFileContent, type FileStore } from '../src/services/file-content.js';

/** A file in a store: all an ingestion's history holds. */
export interface IngestRef {
  vectorStoreId: string;
  fileId: string;
}

/** `skipped`: the file left `in_progress` (cancelled, detached, deleted) before it was published. */
export type IngestOutcome = 'completed' | 'failed' | 'skipped';

/** Chunks per embeddings request: each is a step of progress and a check that the file is still wanted. */
const EMBED_BATCH = 16;
/** OpenAI's bound on one file's tokens for file_search. */
const MAX_FILE_TOKENS = 5_000_000;
/** Progress is logged at most this often. */
const PROGRESS_MS = 5_000;

/**
 * The ingestion workflow's activities (workflows/ingest.ts), on the ingestion task queue.
 * `ingestFile` reads the file, extracts its text, chunks it, embeds the chunks batch by batch
 * (heartbeating, logging progress) and publishes them with `completed` in one transaction. A
 * file that cannot be indexed is `failed` with OpenAI's `last_error` at once; any other error
 * is left to Temporal to retry, and the publish replaces whatever an earlier attempt wrote.
 */
export function ingestActivities(store: FileStore, embedder: Embedder, log: Logger) {
  const { db } = store;
  return {
    async ingestFile({ vectorStoreId, fileId }: IngestRef): Promise<IngestOutcome> {
      const ctx = Context.current();
      const ids = { vector_store_id: vectorStoreId, file_id: fileId, attempt: ctx.info.attempt };
      // The request that attached the file may not have committed yet.
      await awaitNewStoreFiles(db, vectorStoreId);
      const row = await pendingIngestion(db, vectorStoreId, fileId);
      if (!row) return 'skipped';
      const started = performance.now();
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      try {
        let content;
        try {
          content = await openFileContent(store, fileId);
        } catch (err) {
          // Deleted meanwhile: its rows in every store went with it.
          if (err instanceof NotFoundError) return 'skipped';
          throw err;
        }
        const bytes = await buffer(content.body);
        let chunks;
        try {
          const text = await extractText(content.file.filename, bytes);
          if (text.trim() === '') throw new ExtractionError('invalid_file', 'The file contains no text to index.');
          const chunked = chunkText(text, row.chunkingStrategy);
          if (chunked.tokens > MAX_FILE_TOKENS) {
            throw new ExtractionError('invalid_file', `The file has ${chunked.tokens} tokens; the maximum is ${MAX_FILE_TOKENS}.`);
          }
          chunks = chunked.chunks;
        } catch (err) {
          if (!(err instanceof ExtractionError)) throw err;
          await failStoreFile(db, vectorStoreId, fileId, { code: err.code, message: err.message });
          log.info({ ...ids, code: err.code, reason: err.message }, 'file cannot be indexed');
          return 'failed';
        }

        const embeddings: Float32Array[] = [];
        let logged = 0;
        for (let from = 0; from < chunks.length; from += EMBED_BATCH) {
          if (from > 0 && !(await pendingIngestion(db, vectorStoreId, fileId))) return 'skipped';
          embeddings.push(...(await embedder.embed(chunks.slice(from, from + EMBED_BATCH).map((c) => c.text), 'passage')));
          ctx.heartbeat({ embedded: embeddings.length });
          if (performance.now() - logged >= PROGRESS_MS || embeddings.length === chunks.length) {
            logged = performance.now();
            log.info({ ...ids, embedded: embeddings.length, chunks: chunks.length }, 'embedding chunks');
          }
        }

        const rows = chunks.map((c, i) => ({ ...c, embedding: embeddings[i]! }));
        // What the store keeps of the file: its chunks' text and their float32 embeddings.
        const usageBytes = rows.reduce((n, c) => n + Buffer.byteLength(c.text) + c.embedding.byteLength, 0);
        // Large files write many rows: more than the default 30 s a transaction may take.
        const published = await db.$transaction((tx) => publishChunks(tx, vectorStoreId, fileId, rows, usageBytes), { timeout: 600_000 });
        if (!published) return 'skipped';
        log.info({ ...ids, chunks: rows.length, usage_bytes: usageBytes, ms: Math.round(performance.now() - started) }, 'file indexed');
        return 'completed';
      } finally {
        clearInterval(beat);
      }
    },

    /** After the last attempt failed: the file is `failed` with a server error, unless it left `in_progress`. */
    async failIngest({ vectorStoreId, fileId }: IngestRef): Promise<void> {
      await failStoreFile(db, vectorStoreId, fileId, { code: 'server_error', message: 'An internal error occurred while processing the file.' });
      log.warn({ vector_store_id: vectorStoreId, file_id: fileId }, 'file ingestion failed after its last attempt');
    },
  };
}

export type IngestActivities = ReturnType<typeof ingestActivities>;
