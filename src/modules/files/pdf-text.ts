import { getDocumentProxy } from 'unpdf';

/** Pages read at most: the text goes to a bounded prompt, more pages would only cost CPU. */
const MAX_PAGES = 50;

/** The text of a PDF (pdf.js through unpdf), page by page until `maxChars`. */
export async function pdfText(bytes: Buffer, maxChars: number): Promise<{ text: string; truncated: boolean }> {
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  try {
    let text = '';
    const pages = Math.min(pdf.numPages, MAX_PAGES);
    for (let number = 1; number <= pages && text.length < maxChars; number++) {
      const content = await (await pdf.getPage(number)).getTextContent();
      text += content.items.map((item) => ('str' in item ? item.str : '')).join(' ') + '\n';
    }
    const truncated = text.length > maxChars || pdf.numPages > pages;
    return { text: text.slice(0, maxChars).trim(), truncated };
  } finally {
    await pdf.cleanup();
  }
}
