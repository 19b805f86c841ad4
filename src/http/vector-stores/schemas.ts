import { z } from 'zod';
import type { VectorStoreUpdateParams } from 'openai/resources/vector-stores/vector-stores';
import type { VectorStoreCreateInput } from '../../services/vector-stores.js';
import { ChunkingStrategy, Metadata, prefixedId, VectorStoreExpiresAfter } from '../schemas.js';

export const VectorStoreCreate = z
  .strictObject({
    file_ids: z.array(prefixedId('file-')).max(500).optional(),
    name: z.string().optional(),
    // Taken as OpenAI takes it; its object does not show it, so it is not kept.
    description: z.string().nullish(),
    metadata: Metadata.nullish(),
    expires_after: VectorStoreExpiresAfter.optional(),
    chunking_strategy: ChunkingStrategy.optional(),
  })
  .transform(({ description: _, ...input }) => input) satisfies z.ZodType<VectorStoreCreateInput>;

export const VectorStoreUpdate = z.strictObject({
  name: z.string().nullish(),
  metadata: Metadata.nullish(),
  expires_after: VectorStoreExpiresAfter.nullish(),
}) satisfies z.ZodType<VectorStoreUpdateParams>;
