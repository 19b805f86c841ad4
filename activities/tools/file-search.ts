import type { FileSearchToolCall } from 'openai/resources/beta/threads/runs/steps';
import type { AssistantTool } from 'openai/resources/beta/assistants';
import type { Db } from '../../src/db/client.js';
import { touchVectorStore, vectorStoresByIds } from '../../src/db/vector-stores.js';
import type { Embedder } from '../../src/embeddings.js';
import { searchStores } from '../../src/retrieval/search.js';
import type { RunRecord, StepRecord } from '../../src/db/records.js';
import type { ServerTool } from './registry.js';

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
async function storesOf(db: Db, run: Pick<RunRecord, 'threadId' | 'toolResources'>): Promise<string[]> {
  type Resources = { file_search?: { vector_store_ids?: string[] } } | null;
  const thread = await db.thread.findUnique({ where: { id: run.threadId }, select: { toolResources: true } });
  const named = [...new Set([...((run.toolResources as Resources)?.file_search?.vector_store_ids ?? []), ...((thread?.toolResources as Resources)?.file_search?.vector_store_ids ?? [])])];
  const usable = (await vectorStoresByIds(db, named)).filter((s) => !s.expired).map((s) => s.id);
  await Promise.all(usable.map((id) => touchVectorStore(db, id)));
  return usable;
}

function optionsOf(tools: AssistantTool[]) {
  const tool = tools.find((t) => t.type === NAME);
  const options = tool?.type === NAME ? tool.file_search : undefined;
  return {
    maxResults: options?.max_num_results ?? DEFAULT_MAX_RESULTS,
    ranking: { ranker: options?.ranking_options?.ranker === 'auto' ? ('auto' as const) : RANKER, score_threshold: options?.ranking_options?.score_threshold ?? 0 },
  };
}

/** What the model reads: each result under its marker, or that nothing was found. */
function outputOf(call: StoredFileSearch, ordinal: number): string {
  const results = call.file_search.results ?? [];
  if (results.length === 0) return `No results for "${call.query}" in the attached files.`;
  return [
    `Results for "${call.query}". Cite a result by writing its marker, as given, right after what it supports.`,
    ...results.map((r, i) => `${citationMarker(ordinal, i, r.file_name)} (score ${r.score.toFixed(2)})\n${r.content?.map((c) => c.text).join('\n') ?? ''}`),
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
      const vectorStoreIds = await storesOf(db, ctx.run);
      const found = vectorStoreIds.length && call.query ? (await searchStores(db, embedder, { vectorStoreIds, query: call.query, maxResults, scoreThreshold: ranking.score_threshold })).results : [];
      // A result per chunk, best first, as OpenAI's step shows them.
      const results = found
        .flatMap((f) => f.chunks.map((c) => ({ file_id: f.fileId, file_name: f.filename, score: c.score, content: [{ type: 'text' as const, text: c.text }] })))
        .sort((a, b) => b.score - a.score)
        .slice(0, maxResults);
      return { ...call, file_search: { ranking_options: ranking, results } } as StoredFileSearch;
    },
    transcript(stored, ordinal = 0) {
      const call = asCall(stored);
      return { call: { id: call.id, name: NAME, arguments: JSON.stringify({ query: call.query }) }, output: call.file_search.results ? outputOf(call, ordinal) : null };
    },
    // OpenAI streams a file_search call as its id and an empty `file_search` (openai-contract.md §4).
    deltas: {
      opening: (call) => ({ id: call.id, type: NAME, file_search: {} }),
      fragment: () => undefined,
      outputs: (done) => ({ id: done.id, type: NAME, file_search: {} }),
    },
  };
}
