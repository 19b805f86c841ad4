import type { FilePurpose } from 'openai/resources/files';
import { z } from 'zod';
import type { FileCreateInput } from '../../services/files.js';
import { ListQuery } from '../pagination.js';

const PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] as const satisfies readonly FilePurpose[];

/** OpenAI's bounds on `expires_after.seconds` are 3600–2592000; the lower one is a setting (FILE_MIN_EXPIRY_SECONDS). */
export const fileCreate = (minExpirySeconds: number) =>
  z.strictObject({
    purpose: z.enum(PURPOSES),
    expires_after: z
      .strictObject({
        anchor: z.literal('created_at'),
        seconds: z.coerce.number().int().min(minExpirySeconds).max(2_592_000),
      })
      .optional(),
  }) satisfies z.ZodType<FileCreateInput>;

/** The files list pages further than the others (1–10 000, default 10 000) and only forwards. */
export const FileListQuery = ListQuery.omit({ before: true }).extend({
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  purpose: z.string().min(1).optional(),
});
