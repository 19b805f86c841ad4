/**
 * `npm run make:ingest-fixtures`: writes the PDF and DOCX fixtures of test/vector-stores.test.ts
 * (test/fixtures/ingest/report.pdf, letter.docx) with pdf-lib and docx, so the binaries in the
 * repository can be made again from this text. Each carries its sentences in its own way: the
 * PDF on two pages, the DOCX in two paragraphs. The other fixtures there are plain text.
 */
import { Document, Packer, Paragraph, TextRun } from 'docx';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';

const DIR = path.resolve(import.meta.dirname, '../test/fixtures/ingest');

async function pdf(): Promise<Uint8Array> {
  // Fixed dates: the same bytes on every run.
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const pages = [
    ['Quarterly report of the lighthouse keepers.', 'The lamp at Vardo burned for 2190 hours this quarter.'],
    ['Page two: the PDF marker is copper-kettle-42.', 'Fog horns were sounded on eleven nights.'],
  ];
  for (const lines of pages) {
    const page = doc.addPage([595, 842]);
    lines.forEach((line, i) => page.drawText(line, { x: 56, y: 780 - i * 20, size: 12, font }));
  }
  return doc.save({ useObjectStreams: false });
}

async function docx(): Promise<Buffer> {
  const doc = new Document({
    creator: 'assistants tests',
    sections: [
      {
        children: [
          new Paragraph({ children: [new TextRun({ text: 'Dear keepers,', bold: true })] }),
          new Paragraph('The DOCX marker is amber-lantern-17, written in a Word document.'),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

await writeFile(path.join(DIR, 'report.pdf'), await pdf());
await writeFile(path.join(DIR, 'letter.docx'), await docx());
console.log(`wrote ${DIR}/report.pdf and letter.docx`);
