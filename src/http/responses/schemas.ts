import { z } from 'zod';
import { Metadata, prefixedId, Temperature, TopP } from '../schemas.js';
import { Filter } from '../vector-stores/search-schemas.js';

/** The Responses API's request bodies (its reference's limits; unknown fields are refused). */

const Detail = z.enum(['auto', 'low', 'high']);
const InputContent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('input_text'), text: z.string() }),
  z.strictObject({ type: z.literal('input_image'), image_url: z.string().nullish(), file_id: z.string().nullish(), detail: Detail.optional() }),
  z.strictObject({ type: z.literal('input_file'), file_id: z.string().nullish(), file_data: z.string().optional(), file_url: z.string().optional(), filename: z.string().optional() }),
  z.strictObject({ type: z.literal('output_text'), text: z.string(), annotations: z.array(z.unknown()).optional(), logprobs: z.array(z.unknown()).optional() }),
  z.strictObject({ type: z.literal('refusal'), refusal: z.string() }),
]);

const Message = z.strictObject({
  type: z.literal('message').optional(),
  id: z.string().optional(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(InputContent)]),
  /** An assistant message's label (intermediate commentary or the final answer), kept with it. */
  phase: z.enum(['commentary', 'final_answer']).nullish(),
});
const FunctionCall = z.strictObject({
  type: z.literal('function_call'),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).optional(),
});
const FunctionCallOutput = z.strictObject({
  type: z.literal('function_call_output'),
  id: z.string().nullish(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(InputContent)]),
  status: z.enum(['in_progress', 'completed', 'incomplete']).nullish(),
});

/** One input item (a message may omit `type`), as responses and conversations take it. */
export const InputItem = z.union([FunctionCall, FunctionCallOutput, Message]);
const Input = z.union([z.string(), z.array(InputItem)]);

const FunctionTool = z.strictObject({
  type: z.literal('function'),
  name: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'Invalid function name: use only a-z, A-Z, 0-9, underscores and dashes.'),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
const FileSearchTool = z.strictObject({
  type: z.literal('file_search'),
  vector_store_ids: z.array(z.string().min(1)),
  filters: Filter.nullish(),
  max_num_results: z.number().int().min(1).max(50).optional(),
  ranking_options: z
    .strictObject({
      ranker: z.enum(['auto', 'default-2024-11-15']).optional(),
      score_threshold: z.number().min(0).max(1).optional(),
      hybrid_search: z.strictObject({ embedding_weight: z.number().min(0), text_weight: z.number().min(0) }).optional(),
    })
    .optional(),
});
const CodeInterpreterTool = z.strictObject({
  type: z.literal('code_interpreter'),
  container: z.union([z.string(), z.strictObject({ type: z.literal('auto'), file_ids: z.array(z.string()).optional() })]),
});
const Tool = z.discriminatedUnion('type', [FunctionTool, FileSearchTool, CodeInterpreterTool]);

const ToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), name: z.string() }),
  z.strictObject({ type: z.enum(['file_search', 'code_interpreter']) }),
]);

const TextFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    name: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullish(),
  }),
]);

const INCLUDABLE = [
  'file_search_call.results',
  'message.input_image.image_url',
  'computer_call_output.output.image_url',
  'reasoning.encrypted_content',
  'code_interpreter_call.outputs',
  'message.output_text.logprobs',
  'web_search_call.action.sources',
  'web_search_call.results',
] as const;
export const Include = z.array(z.enum(INCLUDABLE));

/** `include` in a query: `include=a`, or `include[]=a&include[]=b` as the SDKs send it. */
export const IncludeQuery = { include: z.union([Include.element, Include]).optional(), 'include[]': z.union([Include.element, Include]).optional() };
export const includeOf = (q: { include?: string | string[] | undefined; 'include[]'?: string | string[] | undefined }): string[] => [q.include ?? [], q['include[]'] ?? []].flat();

const Conversation = z.union([z.string().min(1), z.strictObject({ id: z.string().min(1) })]);

/** The fields that shape what the model is given, shared by create and input_tokens. */
const ModelInput = {
  model: z.string().min(1),
  input: Input.optional(),
  instructions: z.string().nullish(),
  previous_response_id: prefixedId('resp_').nullish(),
  conversation: Conversation.nullish(),
  tools: z.array(Tool).max(128).optional(),
  tool_choice: ToolChoice.optional(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.strictObject({ format: TextFormat.optional(), verbosity: z.enum(['low', 'medium', 'high']).nullish() }).optional(),
  reasoning: z
    .strictObject({
      effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
      summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
      generate_summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
    })
    .nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
};

export const ResponseCreate = z.strictObject({
  ...ModelInput,
  store: z.boolean().nullish(),
  background: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_obfuscation: z.boolean().optional() }).nullish(),
  max_output_tokens: z.number().int().min(16).nullish(),
  max_tool_calls: z.number().int().min(1).nullish(),
  temperature: Temperature,
  top_p: TopP,
  include: Include.nullish(),
  metadata: Metadata.nullish(),
  user: z.string().max(256).optional(),
  safety_identifier: z.string().max(64).optional(),
  prompt_cache_key: z.string().optional(),
  service_tier: z.enum(['auto', 'default', 'flex', 'scale', 'priority']).nullish(),
});

export const InputTokensCount = z.strictObject({ ...ModelInput, model: z.string().min(1).nullish() });

export const ResponseRetrieveQuery = z.object({
  stream: z.enum(['true', 'false']).optional(),
  starting_after: z.coerce.number().int().min(-1).optional(),
  ...IncludeQuery,
  include_obfuscation: z.string().optional(),
});
