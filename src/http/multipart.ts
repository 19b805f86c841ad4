import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { badRequest } from './errors.js';

export interface FilePart {
  stream: Readable;
  filename: string;
  mimeType: string;
}

/** Form fields, nested as the SDKs flatten them (`expires_after[seconds]`, openai-contract.md §0). */
export type FormFields = Record<string, unknown>;

const LIMITS = { fields: 32, fieldSize: 64 * 1024 };

/**
 * Reads a multipart/form-data body as it arrives. Text fields are collected; the file part
 * named `fileField` goes to `onFile` as a stream, so a file is never held whole in memory.
 * Settles only once `onFile` has settled too, so the caller knows whether anything was
 * stored. On a failure the rest of the body is drained, so the client still reads the error.
 */
export function readMultipart(req: IncomingMessage, fileField: string, onFile: (part: FilePart) => Promise<void>): Promise<FormFields> {
  if (!/^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '')) {
    return Promise.reject(badRequest('Expected a multipart/form-data request body.'));
  }
  const parser = busboy({ headers: req.headers, limits: LIMITS, defParamCharset: 'utf8' });
  const fields: FormFields = Object.create(null);
  let file: Promise<void> | undefined;
  let failure: unknown;
  return new Promise<void>((resolve) => {
    const fail = (err: unknown) => {
      failure ??= err;
      req.unpipe(parser);
      req.resume();
      resolve();
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(badRequest(`Invalid '${name}': the value is longer than ${LIMITS.fieldSize} bytes.`, name, 'invalid_value'));
      else setField(fields, name, value);
    });
    parser.on('fieldsLimit', () => fail(badRequest(`Too many form fields: at most ${LIMITS.fields} are accepted.`)));
    parser.on('file', (name, stream, info) => {
      if (name !== fileField || file) {
        discard(stream);
        fail(
          name === fileField
            ? badRequest(`Expected one file in '${name}'.`, name, 'invalid_value')
            : badRequest(`Unrecognized request argument supplied: ${name}`, name, 'unknown_parameter'),
        );
        return;
      }
      file = onFile({ stream, filename: info.filename ?? fileField, mimeType: info.mimeType }).catch((err: unknown) => {
        discard(stream);
        fail(err);
      });
    });
    parser.on('error', (err: Error) => fail(badRequest(`Could not parse the multipart/form-data body: ${err.message}`)));
    parser.on('close', () => resolve());
    // A client that goes away mid-upload: the parser errors the file stream, so `onFile` ends.
    req.on('close', () => {
      if (!req.complete) parser.destroy(new Error('the request ended early'));
    });
    req.pipe(parser);
  })
    .then(() => file)
    .then(() => {
      if (failure !== undefined) throw failure;
      return fields;
    });
}

/** A file stream nobody reads: drained, and its error (the client going away) expected. */
function discard(stream: Readable): void {
  stream.on('error', () => {}).resume();
}

/** `a[b][c]=v` → `{a: {b: {c: 'v'}}}`; objects without a prototype, so no name reaches one. */
function setField(fields: FormFields, name: string, value: string): void {
  const path = name.match(/[^[\]]+/g) ?? [name];
  let target = fields;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    target = (target[key] = typeof next === 'object' && next !== null ? next : Object.create(null)) as FormFields;
  }
  target[path[path.length - 1]!] = value;
}
