import type { FileBatchCreateParams } from 'openai/resources/vector-stores/file-batches';
import { z } from 'zod';
import { Attributes, ChunkingStrategy, prefixedId } from '../schemas.js';

const FileId = prefixedId('file-');

/** `file_ids` or `files` (1–2000 either way), not both (openai-contract.md §6). */
export const BatchCreate = z
  .strictObject({
    file_ids: z.array(FileId).min(1).max(2000).optional(),
    files: z
      .array(z.strictObject({ file_id: FileId, attributes: Attributes.nullish(), chunking_strategy: ChunkingStrategy.optional() }))
      .min(1)
      .max(2000)
      .optional(),
    attributes: Attributes.nullish(),
    chunking_strategy: ChunkingStrategy.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.file_ids === undefined && b.files === undefined) {
      ctx.addIssue({ code: 'custom', path: ['file_ids'], message: "Missing required parameter: 'file_ids' (or 'files').", params: { code: 'missing_required_parameter' } });
    } else if (b.file_ids !== undefined && b.files !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: "'file_ids' and 'files' are mutually exclusive: give one of them." });
    }
  }) satisfies z.ZodType<FileBatchCreateParams>;
