import type Router from '@koa/router';
import { openFileContent } from '../../services/file-content.js';
import { createFile, deleteFile, discardUpload, getFile, listFiles, storeUpload, type StoredUpload } from '../../services/files.js';
import { fileDeleted, fileToWire } from '../../wire/file.js';
import { badRequest } from '../errors.js';
import { readMultipart, type FormFields } from '../multipart.js';
import { envelope } from '../pagination.js';
import { parse } from '../validation.js';
import { fileCreate, FileListQuery } from './schemas.js';

export function fileRoutes(router: Router, minExpirySeconds: number): void {
  const FileCreate = fileCreate(minExpirySeconds);
  router
    .post('/files', async (ctx) => {
      let stored: StoredUpload | undefined;
      try {
        const fields = await readMultipart(ctx.req, 'file', async (part) => {
          stored = await storeUpload(ctx.state.deps, { content: part.stream, filename: part.filename, contentType: part.mimeType });
        });
        if (!stored) throw missingFile(fields);
        ctx.body = fileToWire(await createFile(ctx.state.deps, stored, parse(FileCreate, fields)));
      } catch (err) {
        if (stored) await discardUpload(ctx.state.deps, stored);
        throw err;
      }
    })
    .get('/files', async (ctx) => {
      const { items, hasMore } = await listFiles(ctx.state.deps, parse(FileListQuery, ctx.query));
      ctx.body = envelope(items.map(fileToWire), hasMore);
    })
    .get('/files/:file_id', async (ctx) => {
      ctx.body = fileToWire(await getFile(ctx.state.deps, ctx.params.file_id!));
    })
    .delete('/files/:file_id', async (ctx) => {
      await deleteFile(ctx.state.deps, ctx.params.file_id!);
      ctx.body = fileDeleted(ctx.params.file_id!);
    })
    // Served for every purpose (OpenAI refuses `assistants` downloads): a self-hosted server
    // serves its owner, and code-interpreter outputs are read this way.
    .get('/files/:file_id/content', async (ctx) => {
      const { file, body, contentType, bytes } = await openFileContent(ctx.state.deps, ctx.params.file_id!);
      ctx.attachment(file.filename);
      ctx.set('Content-Type', contentType);
      ctx.length = bytes;
      ctx.body = body;
    });
}

/** `file` sent as a text field is a wrong type; not sent at all, a missing parameter. */
function missingFile(fields: FormFields) {
  return 'file' in fields
    ? badRequest("Invalid type for 'file': expected a file, but got a string instead.", 'file', 'invalid_type')
    : badRequest("Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
}
