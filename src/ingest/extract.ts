import { convert as htmlToText } from 'html-to-text';
import mammoth from 'mammoth';
import { extname } from 'node:path';
import { extractText as pdfText, getDocumentProxy } from 'unpdf';

/**
 * A file's text, as file_search indexes it: the format comes from the file name's extension,
 * as OpenAI decides it. Text formats are decoded as UTF-8; HTML, PDF and DOCX go through
 * html-to-text, unpdf (PDF.js) and mammoth.
 */

/** Why a file has no text to index; the code is the vector-store file's `last_error.code`. */
export class ExtractionError extends Error {
  constructor(
    readonly code: 'unsupported_file' | 'invalid_file',
    message: string,
  ) {
    super(message);
  }
}

type Format = 'text' | 'html' | 'pdf' | 'docx';

/** OpenAI's file_search formats (docs, "supported files") we can read, plus csv and a few spellings. */
const FORMATS: Record<string, Format> = {
  ...Object.fromEntries(
    ['.txt', '.md', '.markdown', '.json', '.csv', '.c', '.cpp', '.cs', '.css', '.go', '.java', '.js', '.php', '.py', '.rb', '.sh', '.tex', '.ts'].map((e) => [e, 'text' as const]),
  ),
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
  '.docx': 'docx',
};

function formatOf(filename: string): Format {
  const ext = extname(filename).toLowerCase();
  const format = FORMATS[ext];
  if (!format) {
    throw new ExtractionError('unsupported_file', `Files with extensions [${ext || 'none'}] are not supported for retrieval. See https://platform.openai.com/docs/assistants/tools/file-search/supported-files`);
  }
  return format;
}

const invalid = (what: string) => new ExtractionError('invalid_file', `The file could not be parsed as ${what}.`);

function utf8(bytes: Uint8Array): string {
  try {
    // `fatal`: bytes that are not UTF-8 are a bad file, not text with holes in it; the BOM goes.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid('UTF-8 text');
  }
}

async function pdf(bytes: Uint8Array): Promise<string> {
  let doc: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // A copy: PDF.js takes the buffer over. `verbosity: 0`: its warnings are not ours to print.
    doc = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch {
    throw invalid('PDF');
  }
  try {
    const { text } = await pdfText(doc, { mergePages: false });
    return text.join('\n\n');
  } finally {
    await doc.loadingTask.destroy();
  }
}

async function docx(bytes: Uint8Array): Promise<string> {
  try {
    return (await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })).value;
  } catch {
    throw invalid('DOCX');
  }
}

function html(bytes: Uint8Array): string {
  return htmlToText(utf8(bytes), {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
      { selector: 'table', format: 'dataTable' },
    ],
  });
}

/** The file's text; ExtractionError when its format is not supported or it cannot be read as one. */
export async function extractText(filename: string, bytes: Uint8Array): Promise<string> {
  switch (formatOf(filename)) {
    case 'text':
      return utf8(bytes);
    case 'html':
      return html(bytes);
    case 'pdf':
      return pdf(bytes);
    case 'docx':
      return docx(bytes);
  }
}
