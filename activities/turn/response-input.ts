import type { ConversationRow } from '../../src/db/conversation-items.js';
import type { MessageRecord } from '../../src/db/records.js';
import type { ResponseRecord } from '../../src/db/responses.js';
import type { ChatMessage } from '../../src/llm/index.js';

type Item = Record<string, unknown>;

/**
 * What the model sees for a response: its instructions, then the items before it — the
 * responses `previous_response_id` leads back through (each one's input, then its output), and
 * the conversation's items (which hold this response's input already) or else its own input.
 * Consecutive function calls join one assistant message, as chat models take them.
 */
export function responseInput(response: ResponseRecord, chain: ResponseRecord[], conversation: ConversationRow[] | null): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (response.instructions) out.push({ role: 'system', content: response.instructions });
  const items: Item[] = chain.flatMap((r) => [...r.input, ...r.output] as unknown as Item[]);
  if (conversation) items.push(...conversation.map((row) => (row.kind === 'item' ? row.item : fromMessage(row.message))));
  else items.push(...(response.input as unknown as Item[]));
  for (const item of items) add(out, item);
  return out;
}

const fromMessage = (m: MessageRecord): Item => ({
  type: 'message',
  role: m.role,
  content: m.content.map((p) => (p.type === 'text' ? { type: 'input_text', text: p.text.value } : p.type === 'image_url' ? { type: 'input_image', image_url: p.image_url.url } : { type: 'input_image', file_id: p.type === 'image_file' ? p.image_file.file_id : '' })),
});

function add(out: ChatMessage[], item: Item): void {
  const type = item.type ?? 'message';
  if (type === 'function_call') {
    const call = { id: String(item.call_id), name: String(item.name), arguments: String(item.arguments) };
    const last = out.at(-1);
    if (last?.role === 'assistant' && last.toolCalls) last.toolCalls.push(call);
    else if (last?.role === 'assistant' && !last.toolCalls) last.toolCalls = [call];
    else out.push({ role: 'assistant', content: null, toolCalls: [call] });
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
