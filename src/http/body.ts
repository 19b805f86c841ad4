import type Koa from 'koa';
import { badRequest } from './errors.js';

/** The parsed JSON body; an empty body is `{}`, anything but an object is a 400. */
export function body(ctx: Koa.Context): Record<string, unknown> {
  const b: unknown = ctx.request.body;
  if (b === undefined || b === null || (typeof b === 'object' && !Array.isArray(b) && Object.keys(b).length === 0)) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw badRequest('Invalid request body: expected a JSON object.');
  return b as Record<string, unknown>;
}
