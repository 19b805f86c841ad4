import type { UsageCompletionsResponse } from 'openai/resources/admin/organization/usage';
import type { UsageBucket, UsageRow } from '../db/usage.js';

type CompletionsResult = UsageCompletionsResponse.Data.OrganizationUsageCompletionsResult;

/** A page of completions usage (`admin.organization.usage.completions` in the SDKs). */
export function completionsUsageToWire(buckets: UsageBucket[], nextPage: string | null): UsageCompletionsResponse {
  return {
    object: 'page',
    data: buckets.map((b) => ({ object: 'bucket', start_time: b.startTime, end_time: b.endTime, results: b.rows.map(resultToWire) })),
    has_more: nextPage !== null,
    next_page: nextPage,
  };
}

/** What we do not measure (cached and audio tokens) is 0; what is not grouped by is null, as OpenAI shows it. */
function resultToWire(r: UsageRow): CompletionsResult {
  return {
    object: 'organization.usage.completions.result',
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    input_cached_tokens: 0,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    num_model_requests: r.requests,
    project_id: r.projectId,
    model: r.model,
    user_id: null,
    api_key_id: null,
    batch: null,
  };
}
