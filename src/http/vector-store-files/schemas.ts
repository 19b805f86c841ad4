import type { FileCreateParams } from 'openai/resources/vector-stores/files';
import { z } from 'zod';
import { ListQuery } from '../pagination.js';
import { Attributes, ChunkingStrategy, prefixedId } from '../schemas.js';

export const StoreFileCreate = z.strictObject({
  file_id: prefixedId('file-'),
  attributes: Attributes.nullish(),
  chunking_strategy: ChunkingStrategy.optional(),
}) satisfies z.ZodType<FileCreateParams>;

/** `attributes` is required; null clears them. */
export const StoreFileUpdate = z.strictObject({ attributes: Attributes.nullable() });

/** A store's or a batch's files, optionally of one status. */
export const StoreFileListQuery = ListQuery.extend({ filter: z.enum(['in_progress', 'completed', 'failed', 'cancelled']).optional() });
