import type { MessageContent } from 'openai/resources/beta/threads/messages';
import type { Db } from '../src/db/client.js';
import type { Run as RunRow } from '../src/generated/prisma/client.js';
import type { ChatMessage, ToolCall } from '../src/llm/index.js';

interface StoredToolCall {
  id: string;
  type: string;
  function?: { name: string; arguments: string; output: string | null };
}

/** The rows a run's conversation is made of: its thread's messages and its own steps. */
export interface Transcript {
  messages: { id: string; role: string; content: unknown; runId: string | null }[];
  steps: { key: string; stepDetails: unknown }[];
}

/**
 * Two raw reads side by side (src/db/raw.ts says why), by run id alone so they can run
 * alongside reading the run itself. Nothing is added to a thread while a run is active, so its
 * messages from other runs (or none) are what came before this run.
 */
export async function readTranscript(db: Db, runId: string): Promise<Transcript> {
  const [messages, steps] = await Promise.all([
    db.$queryRaw<Transcript['messages']>`
      SELECT id, role, content, run_id AS "runId" FROM messages
      WHERE thread_id = (SELECT thread_id FROM runs WHERE id = ${runId}) ORDER BY id`,
    db.$queryRaw<Transcript['steps']>`
      SELECT key, step_details AS "stepDetails" FROM run_steps WHERE run_id = ${runId} ORDER BY id`,
  ]);
  return { messages, steps };
}

/**
 * What the model sees for a run: its instructions, the thread's messages from before the run
 * (cut by `truncation_strategy`), then the run's own turns — each turn's text and tool calls as
 * one assistant message, followed by the tool outputs. Only turns before `turn` count: what an
 * earlier attempt at this turn left is about to be replaced.
 */
export function conversationFor(run: RunRow, { messages, steps }: Transcript, turn: number): ChatMessage[] {
  const out: ChatMessage[] = [];
  const system = [run.instructions, run.additionalInstructions].filter(Boolean).join('\n\n');
  if (system) out.push({ role: 'system', content: system });

  const history = messages.filter((m) => m.runId !== run.id);
  const own = messages.filter((m) => m.runId === run.id);
  const ownMessages = new Map(own.map((m) => [m.id, textOf(m.content)]));
  const truncation = run.truncationStrategy as { type: string; last_messages?: number | null };
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
    const details = step.stepDetails as { message_creation?: { message_id: string }; tool_calls?: StoredToolCall[] };
    if (details.message_creation) current.text = ownMessages.get(details.message_creation.message_id) ?? null;
    for (const c of details.tool_calls ?? []) {
      if (!c.function) continue;
      current.calls.push({ id: c.id, name: c.function.name, arguments: c.function.arguments });
      if (c.function.output !== null) current.outputs.push({ role: 'tool', toolCallId: c.id, content: c.function.output });
    }
  }
  flush();
  return out;
}

/** Text parts joined; images are named, since not every backend takes them. */
function textOf(content: unknown): string {
  return (content as MessageContent[])
    .map((p) => (p.type === 'text' ? p.text.value : p.type === 'image_file' ? `[image file ${p.image_file.file_id}]` : p.type === 'image_url' ? `[image ${p.image_url.url}]` : ''))
    .filter(Boolean)
    .join('\n');
}
