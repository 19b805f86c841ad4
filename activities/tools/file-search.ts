import type { FileSearchToolCall } from 'openai/resources/beta/threads/runs/steps';
import type { AssistantTool } from 'openai/resources/beta/assistants';
import type { FileSearchTool, ResponseFileSearchToolCall } from 'openai/resources/responses/responses';
import type { Db } from '../../src/db/client.js';
import type { ResponseRecord } from '../../src/db/responses.js';
import { touchVectorStore, vectorStoresByIds } from '../../src/db/vector-stores.js';
import type { Embedder } from '../../src/embeddings.js';
import type { AttributeFilter } from '../../src/retrieval/filters.js';
import { DEFAULT_FUSION, type Fusion } from '../../src/retrieval/fusion.js';
import { searchStores } from '../../src/retrieval/search.js';
import type { RunRecord, StepRecord } from '../../src/db/records.js';
import { fileSearchEvent } from '../../src/wire/response-events.js';
import type { ContextItem, ResponsesToolSide, ServerTool } from './registry.js';

const NAME = 'file_search';
/** OpenAI's default for its current models (openai-contract.md §6), and its ranker's name. */
const DEFAULT_MAX_RESULTS = 20;
const RANKER = 'default_2024_08_21';

/**
 * A file_search call as stored: OpenAI's shape plus the model's query, which the wire does not
 * show (src/wire/step.ts drops it) but the model's next turn needs. `results` is absent until
 * the search ran.
 */
export type StoredFileSearch = FileSearchToolCall & { query: string };

const asCall = (c: unknown) => c as StoredFileSearch;

function queryOf(args: string): string {
  try {
    const value = JSON.parse(args) as { query?: unknown };
    return typeof value.query === 'string' ? value.query : '';
  } catch {
    return '';
  }
}

/**
 * The citation marker of result `i` of a run's `ordinal`-th file_search call, in OpenAI's own
 * form (`【4:0†notes.md】`); the answer's markers become `file_citation` annotations.
 */
export const citationMarker = (ordinal: number, i: number, filename: string) => `【${ordinal}:${i}†${filename}】`;

/** Markers as models write them back: OpenAI's brackets or square ones, the source name optional. */
const MARKER = /[【[](\d+):(\d+)(?:†[^】\]\n]*)?[】\]]/g;

/** Each marker in `text` that names a result of `cited` (`"ordinal:i"` → file id), with its position in code points. */
export function citationsIn(text: string, cited: ReadonlyMap<string, string>): { text: string; fileId: string; start: number; end: number }[] {
  if (cited.size === 0) return [];
  const found = [];
  for (const m of text.matchAll(MARKER)) {
    const fileId = cited.get(`${m[1]}:${m[2]}`);
    if (!fileId) continue;
    const start = [...text.slice(0, m.index)].length;
    found.push({ text: m[0], fileId, start, end: start + [...m[0]].length });
  }
  return found;
}

/** The run's file_search calls in order, with their ordinals (the `4` of `【4:0†…】`). */
export function fileSearchCalls(steps: readonly Pick<StepRecord, 'stepDetails'>[]): StoredFileSearch[] {
  return steps.flatMap((s) => (s.stepDetails.type === 'tool_calls' ? s.stepDetails.tool_calls.filter((c) => c.type === NAME).map(asCall) : []));
}

/**
 * The stores a run searches: its own `tool_resources` (its assistant's, as the run started),
 * then its thread's; those that expired or went are left out, and the rest count as used.
 */
async function storesOf(db: Db, run: Pick<RunRecord, 'projectId' | 'threadId' | 'toolResources'>): Promise<string[]> {
  type Resources = { file_search?: { vector_store_ids?: string[] } } | null;
  const thread = await db.thread.findUnique({ where: { id: run.threadId }, select: { toolResources: true } });
  return usableStores(db, run.projectId, [...((run.toolResources as Resources)?.file_search?.vector_store_ids ?? []), ...((thread?.toolResources as Resources)?.file_search?.vector_store_ids ?? [])]);
}

/**
 * The stores of `ids` that can be searched (each once; those that expired or went are left
 * out, and any of another project, which the API refused to name already), which now count as used.
 */
async function usableStores(db: Db, projectId: string, ids: string[]): Promise<string[]> {
  const usable = (await vectorStoresByIds(db, projectId, [...new Set(ids)])).filter((s) => !s.expired).map((s) => s.id);
  await Promise.all(usable.map((id) => touchVectorStore(db, id)));
  return usable;
}

/** One searched chunk, as both APIs' results are built from it. */
interface Found {
  fileId: string;
  filename: string;
  score: number;
  text: string;
  attributes: Record<string, string | number | boolean>;
}

/** The search both sides make: a result per chunk, best first, at most `maxResults`. */
async function searchChunks(
  db: Db,
  embedder: Embedder,
  p: { vectorStoreIds: string[]; query: string; maxResults: number; scoreThreshold: number; filters?: AttributeFilter | null; fusion?: Fusion },
): Promise<Found[]> {
  if (!p.vectorStoreIds.length || !p.query) return [];
  const { results } = await searchStores(db, embedder, { vectorStoreIds: p.vectorStoreIds, query: p.query, maxResults: p.maxResults, scoreThreshold: p.scoreThreshold, filters: p.filters, fusion: p.fusion });
  return results
    .flatMap((f) => f.chunks.map((c) => ({ fileId: f.fileId, filename: f.filename, score: c.score, text: c.text, attributes: f.attributes })))
    .sort((a, b) => b.score - a.score)
    .slice(0, p.maxResults);
}

function optionsOf(tools: AssistantTool[]) {
  const tool = tools.find((t) => t.type === NAME);
  const options = tool?.type === NAME ? tool.file_search : undefined;
  return {
    maxResults: options?.max_num_results ?? DEFAULT_MAX_RESULTS,
    ranking: { ranker: options?.ranking_options?.ranker === 'auto' ? ('auto' as const) : RANKER, score_threshold: options?.ranking_options?.score_threshold ?? 0 },
  };
}

/** What the model reads, for either API: each result under its marker, or that nothing was found. */
function outputOf(query: string, results: readonly { filename: string; score: number; text: string }[], ordinal: number): string {
  if (results.length === 0) return `No results for "${query}" in the attached files.`;
  return [
    `Results for "${query}". Cite a result by writing its marker, as given, right after what it supports.`,
    ...results.map((r, i) => `${citationMarker(ordinal, i, r.filename)} (score ${r.score.toFixed(2)})\n${r.text}`),
  ].join('\n\n');
}

/**
 * `file_search`: hybrid search over the vector stores of the run's assistant and thread. The
 * model is offered a function with one `query`; the step records OpenAI's call shape with its
 * ranking options and results (their text shown on the wire only with `include[]`), and the
 * model reads the chunks with markers its answer cites.
 */
export function fileSearch(db: Db, embedder: Embedder): ServerTool {
  return {
    type: NAME,
    spec: {
      name: NAME,
      description:
        'Searches the files the user attached (their vector stores) and returns the passages that best match the query, each with a citation marker. ' +
        'Use it for any question the files may answer; cite the passages you use by their markers.',
      parameters: { type: 'object', properties: { query: { type: 'string', description: 'What to look for, in words likely to appear in the passage' } }, required: ['query'] },
    },
    timeoutMs: 60_000,
    pending: (call) => ({ id: call.id, type: NAME, file_search: {}, query: queryOf(call.arguments) }) as StoredFileSearch,
    async execute(stored, ctx) {
      const call = asCall(stored);
      const { maxResults, ranking } = optionsOf(ctx.run.tools);
      const found = await searchChunks(db, embedder, { vectorStoreIds: await storesOf(db, ctx.run), query: call.query, maxResults, scoreThreshold: ranking.score_threshold });
      // A result per chunk, best first, as OpenAI's step shows them.
      const results = found.map((f) => ({ file_id: f.fileId, file_name: f.filename, score: f.score, content: [{ type: 'text' as const, text: f.text }] }));
      return { ...call, file_search: { ranking_options: ranking, results } } as StoredFileSearch;
    },
    transcript(stored, ordinal = 0) {
      const call = asCall(stored);
      return { call: { id: call.id, name: NAME, arguments: JSON.stringify({ query: call.query }) }, output: call.file_search.results ? outputOf(call.query, resultsRead(call.file_search.results), ordinal) : null };
    },
    // OpenAI streams a file_search call as its id and an empty `file_search` (openai-contract.md §4).
    deltas: {
      opening: (call) => ({ id: call.id, type: NAME, file_search: {} }),
      fragment: () => undefined,
      outputs: (done) => ({ id: done.id, type: NAME, file_search: {} }),
    },
    responses: responsesSide(db, embedder),
  };
}

const resultsRead = (results: NonNullable<FileSearchToolCall.FileSearch['results']>) =>
  results.map((r) => ({ filename: r.file_name, score: r.score, text: r.content?.map((c) => c.text).join('\n') ?? '' }));

// ── Responses ─────────────────────────────────────────────────────────────────────────────

const ITEM = 'file_search_call';
const asItem = (item: unknown) => item as ResponseFileSearchToolCall;

/** A response's `file_search` tool as its request gave it (validated: src/http/responses/schemas.ts). */
function responseToolOf(response: ResponseRecord): FileSearchTool | undefined {
  return (response.request.tools as { type: string }[]).find((t): t is FileSearchTool => t.type === NAME);
}

/** `hybrid_search` weights as the weighted fusion; without them (or with both 0), the default one. */
function fusionOf(options: FileSearchTool.RankingOptions | undefined): Fusion {
  const weights = options?.hybrid_search;
  const total = weights ? weights.embedding_weight + weights.text_weight : 0;
  return weights && total > 0 ? { kind: 'weighted', vectorWeight: weights.embedding_weight / total } : DEFAULT_FUSION;
}

/**
 * The citable results of the `file_search_call` items a response's model sees (`"ordinal:i"`,
 * as `citationMarker` numbers them: each item's place among those items), for the answer's
 * `file_citation` annotations. activities/turn/response-input.ts numbers them the same way.
 */
export function responseCitable(items: readonly ContextItem[]): Map<string, { fileId: string; filename: string }> {
  const cited = new Map<string, { fileId: string; filename: string }>();
  for (const [ordinal, item] of items.filter((i) => i.type === ITEM).entries()) {
    for (const [i, r] of (asItem(item).results ?? []).entries()) if (r.file_id) cited.set(`${ordinal}:${i}`, { fileId: r.file_id, filename: r.filename ?? '' });
  }
  return cited;
}

/**
 * file_search in a response: a `file_search_call` item (`fs_…`) over the tool's
 * `vector_store_ids`, with `max_num_results`, `ranking_options` and `filters`; OpenAI's events
 * (in_progress as the model starts the call, searching once its query is whole, completed with
 * the results). The same search and markers as a run's.
 */
function responsesSide(db: Db, embedder: Embedder): ResponsesToolSide {
  return {
    itemType: ITEM,
    idKind: 'fileSearchCall',
    open: (id) => ({ id, type: ITEM, status: 'in_progress', queries: [], results: null }),
    opened: (at) => [fileSearchEvent(at, 'in_progress')],
    fragment: () => [],
    written: (item, call, at) => ({ item: { ...asItem(item), queries: [queryOf(call.arguments)], status: 'searching' }, events: [fileSearchEvent(at, 'searching')] }),
    async execute(stored, ctx, at) {
      const item = asItem(stored);
      const tool = responseToolOf(ctx.response);
      const found = await searchChunks(db, embedder, {
        vectorStoreIds: await usableStores(db, ctx.response.projectId, tool?.vector_store_ids ?? []),
        query: item.queries[0] ?? '',
        maxResults: tool?.max_num_results ?? DEFAULT_MAX_RESULTS,
        scoreThreshold: tool?.ranking_options?.score_threshold ?? 0,
        filters: (tool?.filters ?? null) as AttributeFilter | null,
        fusion: fusionOf(tool?.ranking_options),
      });
      const results = found.map((f) => ({ file_id: f.fileId, filename: f.filename, score: f.score, text: f.text, attributes: f.attributes }));
      return { item: { ...item, status: 'completed', results }, events: [fileSearchEvent(at, 'completed')] };
    },
    transcript(stored, ordinal) {
      const item = asItem(stored);
      const query = item.queries[0] ?? '';
      const results = (item.results ?? []).map((r) => ({ filename: r.filename ?? '', score: r.score ?? 0, text: r.text ?? '' }));
      return { call: { id: item.id, name: NAME, arguments: JSON.stringify({ query }) }, output: item.status === 'completed' ? outputOf(query, results, ordinal) : null };
    },
  };
}
