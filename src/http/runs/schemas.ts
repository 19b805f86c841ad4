import { z } from 'zod';
import { ListQuery } from '../pagination.js';
import { MessageInput, Metadata, prefixedId, ReasoningEffort, ResponseFormat, Temperature, Tool, ToolResources, TopP } from '../schemas.js';
import { ThreadCreate } from '../threads/schemas.js';

const TokenCap = z.number().int().min(256).nullish();
const ToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string() }) }),
  z.strictObject({ type: z.enum(['file_search', 'code_interpreter']) }),
]);
const runFields = {
  assistant_id: prefixedId('asst_'),
  model: z.string().min(1).nullish(),
  instructions: z.string().max(256_000).nullish(),
  tools: z.array(Tool).max(20).nullish(),
  metadata: Metadata.nullish(),
  temperature: Temperature,
  top_p: TopP,
  max_prompt_tokens: TokenCap,
  max_completion_tokens: TokenCap,
  truncation_strategy: z
    .strictObject({ type: z.enum(['auto', 'last_messages']), last_messages: z.number().int().min(1).nullish() })
    .nullish(),
  tool_choice: ToolChoice.nullish(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: ResponseFormat.nullish(),
  stream: z.boolean().nullish(),
};
export const RunCreate = z.strictObject({
  ...runFields,
  additional_instructions: z.string().max(256_000).nullish(),
  additional_messages: z.array(MessageInput).nullish(),
  reasoning_effort: ReasoningEffort,
});
/** Top-level `tool_resources` go to the new thread, as OpenAI keeps them (the SDK sends them there). */
export const ThreadAndRunCreate = z.strictObject({ ...runFields, thread: ThreadCreate.optional(), tool_resources: ToolResources.nullish() });

export const RunUpdate = z.strictObject({ metadata: Metadata.nullish() });

/** Combined tool outputs must stay under 512 KB (docs/wire-contract.md §3). */
export const ToolOutputsSubmit = z.strictObject({
  tool_outputs: z
    .array(z.strictObject({ tool_call_id: z.string(), output: z.string() }))
    .refine((outs) => Buffer.byteLength(outs.map((o) => o.output).join('')) < 512 * 1024, {
      message: "Invalid 'tool_outputs': the combined outputs must be smaller than 512 KB.",
    }),
  stream: z.boolean().nullish(),
});

/** The only `include[]` value: the text of file_search results in run steps (src/wire/step.ts). */
export const Include = z.object({
  'include[]': z
    .union([z.literal('step_details.tool_calls[*].file_search.results[*].content'), z.array(z.literal('step_details.tool_calls[*].file_search.results[*].content'))])
    .optional(),
});
export const StepListQuery = ListQuery.extend(Include.shape);
