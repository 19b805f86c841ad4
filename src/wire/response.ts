import type { Response, ResponseOutputItem, ResponseUsage } from 'openai/resources/responses/responses';
import type { ResponseRecord } from '../db/responses.js';
import type { Usage } from '../db/records.js';
import { conversationIdOf } from '../ids.js';
import { itemToWire } from './response-items.js';

/** What `output_text` shows: the text of every output message, joined (as the SDKs derive it). */
export function outputTextOf(output: ResponseOutputItem[]): string {
  return output
    .flatMap((item) => (item.type === 'message' ? item.content.flatMap((c) => (c.type === 'output_text' ? [c.text] : [])) : []))
    .join('');
}

export const usageToWire = (u: Usage): ResponseUsage => ({
  input_tokens: u.prompt_tokens,
  input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
  output_tokens: u.completion_tokens,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: u.total_tokens,
});

/**
 * The response on the wire. `include`: what it shows of its server tools' items besides what
 * OpenAI always shows (./response-items.ts); by default what its request asked for.
 */
export function responseToWire(row: ResponseRecord, include: readonly string[] = row.request.include): Response {
  const r = row.request;
  return {
    id: row.id,
    object: 'response',
    created_at: row.createdAt,
    status: row.status as Response['status'],
    background: row.background,
    completed_at: row.completedAt,
    conversation: row.conversationId ? { id: conversationIdOf(row.conversationId) } : null,
    error: row.error,
    incomplete_details: row.incompleteDetails,
    instructions: row.instructions,
    max_output_tokens: r.max_output_tokens,
    max_tool_calls: r.max_tool_calls,
    metadata: r.metadata,
    model: row.model,
    output: row.output.map((item) => itemToWire(item, include)),
    output_text: outputTextOf(row.output),
    parallel_tool_calls: r.parallel_tool_calls,
    previous_response_id: row.previousResponseId,
    prompt_cache_key: r.prompt_cache_key,
    reasoning: (r.reasoning ?? { effort: null, summary: null }) as Response['reasoning'],
    safety_identifier: r.safety_identifier,
    service_tier: 'default',
    store: row.store,
    temperature: r.temperature ?? 1,
    text: r.text as unknown as Response['text'],
    tool_choice: r.tool_choice as Response['tool_choice'],
    tools: r.tools as Response['tools'],
    top_p: r.top_p ?? 1,
    truncation: r.truncation,
    // null until the response ends, as OpenAI shows it.
    usage: row.usage ? usageToWire(row.usage) : null,
    user: r.user ?? undefined,
    // Sampling settings no model behind us takes, shown at their neutral values as OpenAI shows them.
    presence_penalty: 0,
    frequency_penalty: 0,
    top_logprobs: 0,
    access_programs: null,
  } as Response;
}

export const responseDeleted = (id: string) => ({ id, object: 'response' as const, deleted: true });
