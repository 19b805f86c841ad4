import type Router from '@koa/router';
import type Koa from 'koa';
import { badRequest, type ApiError } from './errors.js';
import { paramPath } from './validation.js';

/**
 * What no endpoint can store or should walk, refused at the edge before any schema or service
 * sees the request, so every endpoint (and every new one) answers OpenAI's 400 with `param`
 * instead of a database error:
 * - strings (values and keys) with U+0000, which Postgres `text` and `jsonb` cannot hold, or an
 *   unpaired UTF-16 surrogate, which `jsonb` refuses and `text` would silently replace;
 * - integers outside Postgres `integer`, the type of every numeric column a request fills;
 * - the key `__proto__`, which would set an object's prototype when copied;
 * - nesting deeper than MAX_DEPTH.
 */

/** Bodies nest a few levels around a JSON Schema; 100 levels inside `parameters` still pass. */
export const MAX_DEPTH = 110;
const INT_MAX = 2 ** 31 - 1;
const INT_MIN = -(2 ** 31);
/**
 * JSON Schema documents, stored verbatim as `jsonb` (function `parameters`, a `json_schema`'s
 * `schema`), and vector-store file `attributes` (compared by search filters, e.g. a timestamp
 * in milliseconds): any number in them is data, not a column value.
 */
const FREE_FORM = new Set(['parameters', 'schema', 'attributes']);

type Path = (string | number)[];

/** With `u`, a well-formed pair is one code point: only an unpaired surrogate matches. */
const LONE_SURROGATE = /\p{Surrogate}/u;

function checkString(s: string, param: string, what: 'string' | 'key'): ApiError | undefined {
  if (s.includes('\u0000')) return badRequest(`Invalid '${param}': ${what} contains a null character (\\u0000), which is not supported.`, param, 'invalid_value');
  if (LONE_SURROGATE.test(s)) return badRequest(`Invalid '${param}': ${what} contains an unpaired UTF-16 surrogate, which is not valid Unicode.`, param, 'invalid_value');
  return undefined;
}

function checkNumber(n: number, param: string): ApiError | undefined {
  if (!Number.isInteger(n)) return undefined;
  if (n > INT_MAX) return badRequest(`Invalid '${param}': integer above maximum value. Expected a value <= ${INT_MAX}, but got ${n} instead.`, param, 'integer_above_max_value');
  if (n < INT_MIN) return badRequest(`Invalid '${param}': integer below minimum value. Expected a value >= ${INT_MIN}, but got ${n} instead.`, param, 'integer_below_min_value');
  return undefined;
}

/** The first thing in `value` the database cannot take, as OpenAI's 400; iterative, so depth cannot overflow our stack. */
export function unstorable(value: unknown, root: Path = []): ApiError | undefined {
  const stack: { v: unknown; path: Path; freeForm: boolean }[] = [{ v: value, path: root, freeForm: false }];
  while (stack.length) {
    const { v, path, freeForm } = stack.pop()!;
    const param = paramPath(path);
    if (typeof v === 'string') {
      const err = checkString(v, param, 'string');
      if (err) return err;
    } else if (typeof v === 'number') {
      const err = freeForm ? undefined : checkNumber(v, param);
      if (err) return err;
    } else if (v !== null && typeof v === 'object') {
      if (path.length - root.length >= MAX_DEPTH) {
        return badRequest(`Invalid '${param}': too deeply nested. Expected at most ${MAX_DEPTH} levels of nesting.`, param, 'invalid_value');
      }
      const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        if (typeof key === 'string') {
          const err = key === '__proto__' ? badRequest(`Invalid '${param || 'body'}': the key '__proto__' is not allowed.`, param || null, 'invalid_value') : checkString(key, paramPath([...path, key]), 'key');
          if (err) return err;
        }
        stack.push({ v: child, path: [...path, key], freeForm: freeForm || (typeof key === 'string' && FREE_FORM.has(key)) });
      }
    }
  }
  return undefined;
}

/** The JSON body and the query string, before routing. */
export const inputGuard: Koa.Middleware = async (ctx, next) => {
  const err = unstorable(ctx.request.body) ?? unstorable(ctx.query);
  if (err) throw err;
  await next();
};

/** Path ids (`/threads/:thread_id`), checked as the router decodes them, under their own names. */
export function guardPathParams(router: Router): void {
  const names = new Set(router.stack.flatMap((layer) => layer.paramNames.map((p) => String(p.name))));
  for (const name of names) {
    router.param(name, (value, _ctx, next) => {
      const err = checkString(value, name, 'string');
      if (err) throw err;
      return next();
    });
  }
}
