import type { MessageContent } from 'openai/resources/beta/threads/messages';
import type { RunRecord } from '../../src/db/records.js';
import type { Transcript } from '../../src/db/runs.js';
import type { ChatMessage, ToolCall } from '../../src/llm/index.js';
import type { ToolRegistry } from '../tools/registry.js';

/**
 * What the model sees for a run: its instructions, the thread's messages from before the run
 * (cut by `truncation_strategy`), then the run's own turns — each turn's text and tool calls as
 * one assistant message, followed by the tool outputs. Only turns before `turn` count: what an
 * earlier attempt at this turn left is about to be replaced. `toolNotes`: what the run's server
 * tools add to the instructions (registry.ts `instructions`).
 */
export function conversationFor(run: RunRecord, { messages, steps }: Transcript, turn: number, tools: ToolRegistry, toolNotes: string[] = []): ChatMessage[] {
  const out: ChatMessage[] = [];
  const system = [run.instructions, run.additionalInstructions, ...toolNotes].filter(Boolean).join('\n\n');
  if (system) out.push({ role: 'system', content: system });

  const history = messages.filter((m) => m.runId !== run.id);
  const own = messages.filter((m) => m.runId === run.id);
  const ownMessages = new Map(own.map((m) => [m.id, textOf(m.content)]));
  const truncation = run.truncationStrategy;
  const kept = truncation.type === 'last_messages' && truncation.last_messages ? history.slice(-truncation.last_messages) : history;
  for (const m of kept) out.push(m.role === 'assistant' ? { role: 'assistant', content: textOf(m.content) } : { role: 'user', content: textOf(m.content) });

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
      const seen = tools.transcript(stored);
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
 * the calls since its last message (OpenAI puts them in the answer as `image_file` parts), and
 * every file its code wrote, by path under /mnt/data (the latest write of a path wins), for
 * the answer's `sandbox:/mnt/data/…` links.
 */
export interface ToolMade {
  images: string[];
  files: Map<string, string>;
}

export function toolMadeBefore({ steps }: Pick<Transcript, 'steps'>, turn: number): ToolMade {
  const made: ToolMade = { images: [], files: new Map() };
  for (const step of steps) {
    if (Number(step.key.split(':')[0]) >= turn) continue;
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
