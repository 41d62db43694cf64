import { deflateSync } from 'node:zlib';

/** A one-page PDF whose text is `text` (Helvetica), with a correct xref table. */
export function pdfWithText(text: string): Buffer {
  const stream = `BT /F1 18 Tf 72 720 Td (${text.replace(/[()\\]/g, '\\$&')}) Tj ET`;
  return onePagePdf(Buffer.from(stream, 'latin1'), '');
}

/**
 * A small file that is slow to read: one page whose compressed content stream inflates to
 * `mb` megabytes of text-showing operators (a few hundred KB on the wire).
 */
export function pdfSlowToRead(mb: number): Buffer {
  const operators = Buffer.from('(A) Tj '.repeat(150_000), 'latin1'); // ~1 MB
  const content = deflateSync(Buffer.concat([Buffer.from('BT /F1 18 Tf 72 720 Td ', 'latin1'), ...Array.from({ length: mb }, () => operators), Buffer.from(' ET', 'latin1')]));
  return onePagePdf(content, ' /Filter /FlateDecode');
}

function onePagePdf(stream: Buffer, filter: string): Buffer {
  const head = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0].length;
  const add = (...chunks: Buffer[]) => {
    for (const chunk of chunks) {
      parts.push(chunk);
      length += chunk.length;
    }
  };
  const object = (number: number, body: Buffer[]) => {
    offsets.push(length);
    add(Buffer.from(`${number} 0 obj\n`, 'latin1'), ...body, Buffer.from('\nendobj\n', 'latin1'));
  };
  head.forEach((text, index) => object(index + 1, [Buffer.from(text, 'latin1')]));
  object(4, [Buffer.from(`<< /Length ${stream.length}${filter} >>\nstream\n`, 'latin1'), stream, Buffer.from('\nendstream', 'latin1')]);
  object(5, [Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>', 'latin1')]);
  const xref = length;
  let tail = `xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) tail += `${String(offset).padStart(10, '0')} 00000 n \n`;
  tail += `trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  add(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
}
