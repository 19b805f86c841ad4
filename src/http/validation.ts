import { z } from 'zod';
import { badRequest, type ApiError } from './errors.js';

/**
 * Request validation with zod, reported in OpenAI's wording (docs/wire-contract.md §5):
 * the first issue becomes one 400 with `param` set to the field path.
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw toApiError(result.error.issues[0]!, input);
}

export function paramPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

function at(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) v = v == null ? undefined : (v as Record<PropertyKey, unknown>)[p];
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'boolean') return 'a boolean';
  return `a ${typeof v}`;
}

const numberKind = (v: unknown) => (Number.isInteger(Number(v)) ? 'integer' : 'decimal');

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  record: 'an object',
};

function toApiError(issue: z.core.$ZodIssue, input: unknown): ApiError {
  const param = paramPath(issue.path);
  const value = at(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
      return badRequest(
        `Invalid type for '${param}': expected ${EXPECTED[issue.expected] ?? issue.expected}, but got ${typeName(value)} instead.`,
        param,
        'invalid_type',
      );
    case 'too_big':
      if (issue.origin === 'string') {
        return badRequest(
          `Invalid '${param}': string too long. Expected a string with maximum length ${issue.maximum}, but got a string with length ${(value as string).length} instead.`,
          param,
          'string_above_max_length',
        );
      }
      if (issue.origin === 'array') {
        return badRequest(
          `Invalid '${param}': array too long. Expected an array with maximum length ${issue.maximum}, but got an array with length ${(value as unknown[]).length} instead.`,
          param,
          'array_above_max_length',
        );
      }
      return badRequest(
        `Invalid '${param}': ${numberKind(value)} above maximum value. Expected a value <= ${issue.maximum}, but got ${String(value)} instead.`,
        param,
        `${numberKind(value)}_above_max_value`,
      );
    case 'too_small':
      if (issue.origin === 'string' || issue.origin === 'array') {
        const what = issue.origin === 'string' ? 'string' : 'array';
        return badRequest(
          `Invalid '${param}': ${what} too short. Expected ${what === 'string' ? 'a string' : 'an array'} with minimum length ${issue.minimum}, but got ${what === 'string' ? 'a string' : 'an array'} with length ${(value as { length: number }).length} instead.`,
          param,
          `${what}_below_min_length`,
        );
      }
      return badRequest(
        `Invalid '${param}': ${numberKind(value)} below minimum value. Expected a value >= ${issue.minimum}, but got ${String(value)} instead.`,
        param,
        `${numberKind(value)}_below_min_value`,
      );
    case 'unrecognized_keys': {
      const prefix = param ? `${param}.` : '';
      return badRequest(`Unrecognized request argument supplied: ${prefix}${issue.keys[0]}`, issue.keys[0] ? prefix + issue.keys[0] : null, 'unknown_parameter');
    }
    case 'invalid_value':
      if (value === undefined) return badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
      return badRequest(
        `Invalid value: ${JSON.stringify(value)}. Supported values are: ${issue.values.map((v) => `'${String(v)}'`).join(', ')}.`,
        param,
        'invalid_value',
      );
    case 'invalid_key': {
      const key = String(issue.path[issue.path.length - 1]);
      const parent = paramPath(issue.path.slice(0, -1));
      const max = issue.issues.find((i) => i.code === 'too_big')?.maximum;
      return badRequest(
        `Invalid '${parent}': key too long. Expected keys with maximum length ${String(max)}, but got a key with length ${key.length} instead.`,
        parent,
        'string_above_max_length',
      );
    }
    case 'custom': {
      const params = (issue.params ?? {}) as { prefix?: string; code?: string };
      if (params.prefix) {
        return badRequest(`Invalid '${param}': '${String(value)}'. Expected an ID that begins with '${params.prefix}'.`, param, 'invalid_value');
      }
      // A refinement that knows its rule but not where it sits says only the rule, in lower case.
      const message = /^[a-z]/.test(issue.message) ? `Invalid '${param}': ${issue.message}` : issue.message;
      return badRequest(message, param, params.code ?? 'invalid_value');
    }
    case 'invalid_union':
      return badRequest(`Invalid value for '${param}'.`, param, 'invalid_value');
    default:
      return badRequest(issue.message.startsWith('Invalid') ? issue.message : `Invalid '${param}': ${issue.message}`, param, 'invalid_value');
  }
}
