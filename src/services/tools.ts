import type { AssistantTool } from 'openai/resources/beta/assistants';

/** Function tools are echoed with `strict` filled in, as OpenAI does. */
export const normalizeTools = (tools: AssistantTool[]): AssistantTool[] =>
  tools.map((t) => (t.type === 'function' ? { ...t, function: { ...t.function, strict: t.function.strict ?? false } } : t));
