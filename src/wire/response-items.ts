import type { ResponseIncludable, ResponseOutputItem } from 'openai/resources/responses/responses';

/**
 * Output items as the wire shows them: a server tool's item is stored whole, and what OpenAI
 * shows only on request (`include`) is left out otherwise. One entry per such field.
 */
const INCLUDED_ON_REQUEST: Partial<Record<ResponseOutputItem['type'], { include: ResponseIncludable; field: string }>> = {
  code_interpreter_call: { include: 'code_interpreter_call.outputs', field: 'outputs' },
  file_search_call: { include: 'file_search_call.results', field: 'results' },
};

export function itemToWire<T extends { type: string }>(item: T, include: readonly string[]): T {
  const hidden = INCLUDED_ON_REQUEST[item.type as ResponseOutputItem['type']];
  if (!hidden || include.includes(hidden.include)) return item;
  return { ...item, [hidden.field]: null };
}
