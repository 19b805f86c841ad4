import type { MessageContent } from 'openai/resources/beta/threads/messages';
import type { RunRecord } from '../../src/db/records.js';
import type { Transcript } from '../../src/db/runs.js';
import type { ChatMessage, ToolCall, ToolSpec } from '../../src/llm/index.js';
import { fileSearchCalls } from '../tools/file-search.js';
import type { ToolRegistry } from '../tools/registry.js';
import { fixedTokens, messageTokens } from './prompt-tokens.js';

/**
 * What the model sees for a run: its instructions, the thread's messages from before the run
 * (cut by `truncation_strategy`), then the run's own turns — each turn's text and tool calls as
 * one assistant message, followed by the tool outputs. Only turns before `turn` count: what an
 * earlier attempt at this turn left is about to be replaced. `toolNotes`: what the run's server
 * tools add to the instructions (registry.ts `instructions`).
 *
 * With `max_prompt_tokens`, `truncation_strategy: auto` drops the oldest thread messages until
 * the prompt (with the tools `offered`) fits; the newest one, the instructions and the run's
 * own turns always stay. Undefined: the prompt cannot fit, and the run ends `incomplete`.
 */
export function conversationFor(
  run: RunRecord,
  transcript: Transcript,
  turn: number,
  tools: ToolRegistry,
  offered: ToolSpec[],
  toolNotes: string[] = [],
): ChatMessage[] | undefined {
  const system = [run.instructions, run.additionalInstructions, ...toolNotes].filter(Boolean).join('\n\n');
  const head: ChatMessage[] = system ? [{ role: 'system', content: system }] : [];
  const history = historyOf(run, transcript);
  const own = ownTurns(run, transcript, turn, tools);
  if (run.maxPromptTokens === null) return [...head, ...history, ...own];

  const fixed = [...head, ...own].reduce((n, m) => n + messageTokens(m), fixedTokens(offered));
  const sizes = history.map(messageTokens);
  let total = sizes.reduce((a, b) => a + b, fixed);
  let first = 0;
  const canDrop = run.truncationStrategy.type === 'auto';
  while (total > run.maxPromptTokens && canDrop && first < history.length - 1) total -= sizes[first++]!;
  return total > run.maxPromptTokens ? undefined : [...head, ...history.slice(first), ...own];
}

/** The thread's messages from before the run, as `truncation_strategy: last_messages` keeps them. */
function historyOf(run: RunRecord, { messages }: Transcript): ChatMessage[] {
  const history = messages.filter((m) => m.runId !== run.id);
  const truncation = run.truncationStrategy;
  const kept = truncation.type === 'last_messages' && truncation.last_messages ? history.slice(-truncation.last_messages) : history;
  return kept.map((m) => (m.role === 'assistant' ? { role: 'assistant', content: textOf(m.content) } : { role: 'user', content: textOf(m.content) }));
}

/** The run's own earlier turns: text and tool calls, then the outputs. */
function ownTurns(run: RunRecord, { messages, steps }: Transcript, turn: number, tools: ToolRegistry): ChatMessage[] {
  const out: ChatMessage[] = [];
  const ownMessages = new Map(messages.filter((m) => m.runId === run.id).map((m) => [m.id, textOf(m.content)]));
  // Each call's place among the run's calls of its type, counted over every turn.
  const ordinals = new Map<string, number>();
  let current: { key: string; text: string | null; calls: ToolCall[]; outputs: ChatMessage[] } | undefined;
  const flush = () => {
    if (!current) return;
    out.push({ role: 'assistant', content: current.text, ...(current.calls.length && { toolCalls: current.calls }) });
    out.push(...current.outputs);
  };
  for (const step of steps) {
    const key = step.key.split(':')[0]!;
    if (Number(key) >= turn) continue;
    if (current?.key !== key) {
      flush();
      current = { key, text: null, calls: [], outputs: [] };
    }
    const details = step.stepDetails;
    if (details.type === 'message_creation') {
      current.text = ownMessages.get(details.message_creation.message_id) ?? null;
      continue;
    }
    for (const stored of details.tool_calls) {
      const ordinal = ordinals.get(stored.type) ?? 0;
      ordinals.set(stored.type, ordinal + 1);
      const seen = tools.transcript(stored, ordinal);
      if (!seen) continue;
      current.calls.push(seen.call);
      if (seen.output !== null) current.outputs.push({ role: 'tool', toolCallId: seen.call.id, content: seen.output });
    }
  }
  flush();
  return out;
}

/** Text parts joined; images are named, since not every backend takes them. */
function textOf(content: MessageContent[]): string {
  return content
    .map((p) => (p.type === 'text' ? p.text.value : p.type === 'image_file' ? `[image file ${p.image_file.file_id}]` : p.type === 'image_url' ? `[image ${p.image_url.url}]` : ''))
    .filter(Boolean)
    .join('\n');
}

/**
 * What the run's server tools made before `turn` that its next message shows: the images of
 * the calls since its last message (OpenAI puts them in the answer as `image_file` parts),
 * every file its code wrote, by path under /mnt/data (the latest write of a path wins), for
 * the answer's `sandbox:/mnt/data/…` links, and every file_search result by its citation key
 * (`"ordinal:i"`, file-search.ts `citationMarker`), for the answer's citations.
 */
export interface ToolMade {
  images: string[];
  files: Map<string, string>;
  cited: Map<string, string>;
}

export function toolMadeBefore({ steps }: Pick<Transcript, 'steps'>, turn: number): ToolMade {
  const earlier = steps.filter((s) => Number(s.key.split(':')[0]) < turn);
  const made: ToolMade = { images: [], files: new Map(), cited: new Map() };
  for (const [ordinal, call] of fileSearchCalls(earlier).entries()) {
    for (const [i, r] of (call.file_search.results ?? []).entries()) made.cited.set(`${ordinal}:${i}`, r.file_id);
  }
  for (const step of earlier) {
    const details = step.stepDetails;
    if (details.type === 'message_creation') {
      made.images = [];
      continue;
    }
    for (const call of details.tool_calls) {
      if (call.type !== 'code_interpreter') continue;
      for (const o of call.code_interpreter.outputs) if (o.type === 'image') made.images.push(o.image.file_id);
    }
    for (const f of step.toolFiles ?? []) made.files.set(f.path, f.file_id);
  }
  return made;
}
