// Runs in a worker thread (see pdf-text.ts), so a hostile PDF can only burn this thread's time
// and memory, both bounded there. Plain, erasable TypeScript: the tests run this file as it is
// (Node strips the types); the build runs its compiled .js.
import { getDocumentProxy } from 'unpdf';
import { parentPort, workerData } from 'node:worker_threads';

export interface PdfJob {
  bytes: Uint8Array;
  maxChars: number;
  maxPages: number;
}

export type PdfResult = { ok: true; text: string; truncated: boolean } | { ok: false; error: string };

async function extract({ bytes, maxChars, maxPages }: PdfJob): Promise<PdfResult> {
  // verbosity 0: pdf.js would otherwise print its warnings about broken files to the console.
  const pdf = await getDocumentProxy(bytes, { verbosity: 0 });
  try {
    let text = '';
    const pages = Math.min(pdf.numPages, maxPages);
    for (let number = 1; number <= pages && text.length < maxChars; number++) {
      const content = await (await pdf.getPage(number)).getTextContent();
      for (const item of content.items) {
        if ('str' in item) text += `${item.str} `;
        if (text.length > maxChars) break;
      }
      text += '\n';
    }
    const truncated = text.length > maxChars || pdf.numPages > pages;
    return { ok: true, text: text.slice(0, maxChars).trim(), truncated };
  } finally {
    await pdf.cleanup();
  }
}

extract(workerData as PdfJob).then(
  (result) => parentPort!.postMessage(result),
  (error: unknown) => parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) } satisfies PdfResult),
);
