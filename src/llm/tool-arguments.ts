/** One call as a model wrote it, checked against the offered tools and their argument schemas. */
import { Ajv, type ValidateFunction } from 'ajv';
import { isObject, parseOr } from './lenient-json.js';
import type { ChatRequest, ToolSpec } from './types.js';

export type CheckedCall = { name: string; arguments: string };

/** The tools a reply may call: none under `tool_choice: none`, only the named one under a named choice. */
export function offeredTools(req: ChatRequest): ToolSpec[] {
  if (req.toolChoice === 'none') return [];
  const choice = req.toolChoice;
  return typeof choice === 'object' ? req.tools.filter((t) => t.name === choice.name) : req.tools;
}

/**
 * `{name, arguments}` (or `parameters`, as Llama 3 writes it), arguments as an object or as JSON
 * text. Returns the call with its arguments as JSON text, or why it is not a usable call.
 */
export function checkCall(raw: unknown, tools: ToolSpec[]): CheckedCall | { problem: string } {
  if (!isObject(raw) || typeof raw.name !== 'string') return { problem: 'a call needs a "name" string' };
  const tool = tools.find((t) => t.name === raw.name);
  if (!tool) return { problem: `unknown tool "${raw.name}"; available: ${tools.map((t) => t.name).join(', ')}` };
  const given = raw.arguments ?? raw.parameters ?? {};
  const args = typeof given === 'string' ? parseOr(given) : given;
  if (!isObject(args)) return { problem: `the arguments of "${raw.name}" must be a JSON object` };
  const validate = validatorFor(tool.parameters);
  if (validate && !validate(args)) {
    return { problem: `the arguments of "${raw.name}" do not match its schema: ${ajv.errorsText(validate.errors, { dataVar: 'arguments' })}` };
  }
  return { name: raw.name, arguments: JSON.stringify(args) };
}

// `strict: false`: tool schemas come from users and may carry keywords Ajv does not know.
const ajv = new Ajv({ strict: false, allErrors: true });
const validators = new Map<string, { schema: Record<string, unknown>; validate: ValidateFunction | undefined }>();
const MAX_CACHED_VALIDATORS = 500;

/** Compiled once per distinct schema (compiling costs far more than validating); undefined for no or an uncompilable schema. */
function validatorFor(schema: Record<string, unknown> | undefined): ValidateFunction | undefined {
  if (!schema) return undefined;
  const key = JSON.stringify(schema);
  const cached = validators.get(key);
  if (cached) return cached.validate;
  let validate: ValidateFunction | undefined;
  try {
    validate = ajv.compile(schema);
  } catch {
    // A schema Ajv cannot compile constrains nothing we can check; the call is taken as written.
    validate = undefined;
  }
  if (validators.size >= MAX_CACHED_VALIDATORS) {
    const [oldestKey, oldest] = validators.entries().next().value!;
    validators.delete(oldestKey);
    ajv.removeSchema(oldest.schema); // Ajv keeps every schema it compiled, too
  }
  validators.set(key, { schema, validate });
  return validate;
}
