import type * as Shared from 'openai/resources/shared';
import { z } from 'zod';

/** Request pieces shared by several endpoints (docs/wire-contract.md §6 limits). */

/** metadata: ≤ 16 pairs, keys ≤ 64 chars, string values ≤ 512 chars; null clears it. */
export const Metadata = z
  .record(z.string().max(64), z.string().max(512))
  .superRefine((m, ctx) => {
    const n = Object.keys(m).length;
    if (n > 16) {
      ctx.addIssue({
        code: 'custom',
        message: `Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with ${n} properties instead.`,
        params: { code: 'object_above_max_properties' },
      });
    }
  });

/**
 * A vector-store file's attributes: ≤ 16 keys of ≤ 64 characters; each value a string of
 * ≤ 512 characters, a number or a boolean. Null clears them.
 */
export const Attributes = z.record(z.string().max(64), z.union([z.string(), z.number(), z.boolean()])).superRefine((a, ctx) => {
  const n = Object.keys(a).length;
  if (n > 16) {
    ctx.addIssue({
      code: 'custom',
      message: `too many properties. Expected an object with at most 16 properties, but got an object with ${n} properties instead.`,
      params: { code: 'object_above_max_properties' },
    });
  }
  for (const [key, value] of Object.entries(a)) {
    if (typeof value === 'string' && value.length > 512) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `string too long. Expected a string with maximum length 512, but got a string with length ${value.length} instead.`,
        params: { code: 'string_above_max_length' },
      });
    }
  }
});

/** `auto` (800 / 400) or `static` within OpenAI's bounds: 100–4096 tokens, overlap at most half of them. */
export const ChunkingStrategy = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auto') }),
  z.strictObject({
    type: z.literal('static'),
    static: z
      .strictObject({ max_chunk_size_tokens: z.number().int().min(100).max(4096), chunk_overlap_tokens: z.number().int().min(0) })
      .superRefine((s, ctx) => {
        if (s.chunk_overlap_tokens > s.max_chunk_size_tokens / 2) {
          ctx.addIssue({
            code: 'custom',
            path: ['chunk_overlap_tokens'],
            message: `must not exceed half of 'max_chunk_size_tokens' (${s.max_chunk_size_tokens}), but got ${s.chunk_overlap_tokens}.`,
          });
        }
      }),
  }),
]);

/** A vector store's `expires_after`: days after its last use, 1–365. */
export const VectorStoreExpiresAfter = z.strictObject({ anchor: z.literal('last_active_at'), days: z.number().int().min(1).max(365) });

/** An id with the right prefix, worded like OpenAI's `Invalid 'thread_id': 'abc'. Expected an ID that begins with 'thread'.` */
export function prefixedId(prefix: string) {
  return z.string().refine((v) => v.startsWith(prefix), { params: { prefix: prefix.replace(/[_-]$/, '') } });
}

const FunctionTool = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, 'Invalid function name: use only a-z, A-Z, 0-9, underscores and dashes.'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});
const FileSearchTool = z.strictObject({
  type: z.literal('file_search'),
  file_search: z
    .strictObject({
      max_num_results: z.number().int().min(1).max(50).optional(),
      ranking_options: z
        .strictObject({ ranker: z.enum(['auto', 'default_2024_08_21']).optional(), score_threshold: z.number().min(0).max(1) })
        .optional(),
    })
    .optional(),
});
const CodeInterpreterTool = z.strictObject({ type: z.literal('code_interpreter') });

export const Tool = z.discriminatedUnion('type', [FunctionTool, FileSearchTool, CodeInterpreterTool]);

const CodeInterpreterResources = z.strictObject({ file_ids: z.array(z.string()).max(20).optional() });
const VectorStoreIds = z.array(prefixedId('vs_')).max(1);

/** `tool_resources` of an update (and of createAndRun's top level): file_search names its store. */
export const ToolResources = z.strictObject({
  code_interpreter: CodeInterpreterResources.optional(),
  file_search: z.strictObject({ vector_store_ids: VectorStoreIds.optional() }).optional(),
});

/**
 * `tool_resources` where an assistant or a thread is created: file_search may instead make its
 * store (the `vector_stores` helper), one or the other (openai-contract.md §6).
 */
export const NewToolResources = z.strictObject({
  code_interpreter: CodeInterpreterResources.optional(),
  file_search: z
    .strictObject({
      vector_store_ids: VectorStoreIds.optional(),
      vector_stores: z
        .array(
          z.strictObject({
            file_ids: z.array(prefixedId('file-')).max(10_000).optional(),
            chunking_strategy: ChunkingStrategy.optional(),
            metadata: Metadata.nullish(),
          }),
        )
        .max(1)
        .optional(),
    })
    .refine((fs) => (fs.vector_store_ids === undefined) !== (fs.vector_stores === undefined), {
      message: "Invalid 'tool_resources.file_search': expected exactly one of 'vector_store_ids' or 'vector_stores'.",
    })
    .optional(),
});

export const ResponseFormat = z.union([
  z.literal('auto'),
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: z.string().max(64),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

/** The `openai` package's `ReasoningEffort`; null leaves it to the model (or, on a run, the assistant). */
export const ReasoningEffort = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']).nullish() satisfies z.ZodType<Shared.ReasoningEffort | undefined>;

export const Temperature = z.number().min(0).max(2).nullish();
export const TopP = z.number().min(0).max(1).nullish();

const Detail = z.enum(['auto', 'low', 'high']);
const ContentPart = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text'), text: z.string() }),
  z.strictObject({ type: z.literal('image_file'), image_file: z.strictObject({ file_id: z.string(), detail: Detail.optional() }) }),
  z.strictObject({ type: z.literal('image_url'), image_url: z.strictObject({ url: z.url({ protocol: /^https?$/ }), detail: Detail.optional() }) }),
]);

const Attachment = z.strictObject({
  file_id: z.string(),
  tools: z.array(z.discriminatedUnion('type', [z.strictObject({ type: z.literal('code_interpreter') }), z.strictObject({ type: z.literal('file_search') })])).optional(),
});

/** A message as create-message, thread create and additional_messages take it. */
export const MessageInput = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string().max(256_000), z.array(ContentPart).min(1)]),
  attachments: z.array(Attachment).nullish(),
  metadata: Metadata.nullish(),
});
