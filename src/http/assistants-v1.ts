import type Koa from 'koa';
import { badRequest } from './errors.js';
import { paramPath } from './validation.js';

/**
 * Clients of Assistants v1 (`OpenAI-Beta: assistants=v1`, the seed's era) are served v2, which
 * has no `file_ids` on assistants or messages and no `retrieval` tool. Instead of v2's
 * `Unrecognized request argument supplied: file_ids`, they are told which v2 field to use.
 */
export const assistantsV1Hints: Koa.Middleware = async (ctx, next) => {
  if (/assistants=v1\b/i.test(ctx.get('openai-beta'))) {
    const err = v1Field(ctx.request.body, []);
    if (err) throw err;
  }
  await next();
};

const REPLACEMENT = {
  message: "'attachments' (a list of {file_id, tools: [{type: 'file_search' | 'code_interpreter'}]})",
  assistant: "'tool_resources' (tool_resources.code_interpreter.file_ids, or a vector store in tool_resources.file_search)",
};

type Path = (string | number)[];
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const items = (v: unknown, path: Path): [unknown, Path][] => (Array.isArray(v) ? v.map((x, i) => [x, [...path, i]]) : []);

/** The places v1 put them: the body (an assistant, a message), the messages a thread or run takes, `tools`. */
function v1Field(body: unknown, root: Path) {
  if (!isObject(body)) return undefined;
  const thread = isObject(body.thread) ? body.thread : {};
  const messages = [...items(body.messages, ['messages']), ...items(body.additional_messages, ['additional_messages']), ...items(thread.messages, ['thread', 'messages'])];
  for (const [v, path] of [[body, root] as [unknown, Path], ...messages]) {
    if (!isObject(v) || !('file_ids' in v)) continue;
    const param = paramPath([...path, 'file_ids']);
    const kind = path.length > 0 || 'role' in v || 'content' in v ? 'message' : 'assistant';
    return badRequest(
      `Invalid '${param}': 'file_ids' is an Assistants v1 field, and this server speaks Assistants v2 (OpenAI-Beta: assistants=v2). Use ${REPLACEMENT[kind]} instead.`,
      param,
      'unknown_parameter',
    );
  }
  for (const [tool, path] of items(body.tools, ['tools'])) {
    if (!isObject(tool) || tool.type !== 'retrieval') continue;
    const param = paramPath([...path, 'type']);
    return badRequest(
      `Invalid '${param}': the 'retrieval' tool is Assistants v1; in Assistants v2 (OpenAI-Beta: assistants=v2) it is the 'file_search' tool, with files in vector stores.`,
      param,
      'invalid_value',
    );
  }
  return undefined;
}
