import type { ConversationRow } from '../../src/db/conversation-items.js';
import type { MessageRecord } from '../../src/db/records.js';
import type { ResponseRecord } from '../../src/db/responses.js';
import type { ChatMessage } from '../../src/llm/index.js';
import type { ContextItem, ToolRegistry } from '../tools/registry.js';

type Item = ContextItem;

/**
 * The items a response's model sees, in order: the responses `previous_response_id` leads back
 * through (each one's input, then its output), the conversation's items (which hold this
 * response's input already) or else its own input, then what its own earlier turns output.
 */
export function contextItems(response: ResponseRecord, chain: ResponseRecord[], conversation: ConversationRow[] | null): Item[] {
  const items: Item[] = chain.flatMap((r) => [...r.input, ...r.output] as unknown as Item[]);
  if (conversation) items.push(...conversation.map((row) => (row.kind === 'item' ? row.item : fromMessage(row.message))));
  else items.push(...(response.input as unknown as Item[]));
  items.push(...(response.output as unknown as Item[]));
  return items;
}

/**
 * What the model sees for a response: its instructions (and what its server tools add,
 * `toolNotes`), then its context items. Consecutive tool calls join one assistant message, as
 * chat models take them; a server tool's item is its call and then its output.
 */
export function responseInput(response: ResponseRecord, items: Item[], tools: ToolRegistry, toolNotes: string[] = []): ChatMessage[] {
  const out: ChatMessage[] = [];
  const system = [response.instructions, ...toolNotes].filter(Boolean).join('\n\n');
  if (system) out.push({ role: 'system', content: system });
  // Each server item's place among the items of its type, as file_search numbers its markers.
  const ordinals = new Map<string, number>();
  for (const item of items) {
    const type = item.type ?? 'message';
    const ordinal = ordinals.get(type) ?? 0;
    ordinals.set(type, ordinal + 1);
    add(out, item, tools, ordinal);
  }
  return out;
}

function addCall(out: ChatMessage[], call: { id: string; name: string; arguments: string }): void {
  const last = out.at(-1);
  if (last?.role === 'assistant' && last.toolCalls) last.toolCalls.push(call);
  else if (last?.role === 'assistant' && !last.toolCalls) last.toolCalls = [call];
  else out.push({ role: 'assistant', content: null, toolCalls: [call] });
}

const fromMessage = (m: MessageRecord): Item => ({
  type: 'message',
  role: m.role,
  content: m.content.map((p) => (p.type === 'text' ? { type: 'input_text', text: p.text.value } : p.type === 'image_url' ? { type: 'input_image', image_url: p.image_url.url } : { type: 'input_image', file_id: p.type === 'image_file' ? p.image_file.file_id : '' })),
});

function add(out: ChatMessage[], item: Item, tools: ToolRegistry, ordinal: number): void {
  const type = item.type ?? 'message';
  if (type === 'function_call') return addCall(out, { id: String(item.call_id), name: String(item.name), arguments: String(item.arguments) });
  const server = tools.itemTool(type);
  if (server) {
    const seen = server.side.transcript(item as never, ordinal);
    // A call that never ran is left out: chat models want every call answered.
    if (seen.output === null) return;
    addCall(out, seen.call);
    out.push({ role: 'tool', toolCallId: seen.call.id, content: seen.output });
    return;
  }
  if (type === 'function_call_output') {
    out.push({ role: 'tool', toolCallId: String(item.call_id), content: typeof item.output === 'string' ? item.output : textOf(item.output) });
    return;
  }
  if (type !== 'message') return;
  const text = textOf(item.content);
  if (item.role === 'assistant') out.push({ role: 'assistant', content: text });
  else out.push({ role: item.role === 'system' || item.role === 'developer' ? 'system' : 'user', content: text });
}

/** Text parts joined; images and files are named, since not every backend takes them. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return ((content ?? []) as Item[])
    .map((p) => {
      if (p.type === 'input_text' || p.type === 'output_text') return String(p.text);
      if (p.type === 'refusal') return String(p.refusal);
      if (p.type === 'input_image') return `[image ${String(p.image_url ?? p.file_id)}]`;
      if (p.type === 'input_file') return `[file ${String(p.file_id ?? p.filename ?? p.file_url)}]`;
      return '';
    })
    .filter(Boolean)
    .join('\n');
}
