import type { AppConfig } from '../../../config/app-config';
import { pdfSlowToRead, pdfWithText } from '../../../../test/files/pdf-fixture';
import { PdfTextService } from './pdf-text.service';

const service = (timeoutMs: number, memoryMb: number) => new PdfTextService({ files: { pdf: { timeoutMs, memoryMb } } } as AppConfig);

describe(PdfTextService.name, () => {
  // Each extraction starts a worker that loads PDF.js: seconds on a busy machine.
  jest.setTimeout(60_000);

  it('extracts the text, capped at maxChars', async () => {
    const pdfs = service(20_000, 128);
    expect(await pdfs.extract(pdfWithText('Quarterly revenue grew'), 100)).toEqual({ ok: true, text: 'Quarterly revenue grew', truncated: false });
    expect(await pdfs.extract(pdfWithText('Quarterly revenue grew'), 9)).toEqual({ ok: true, text: 'Quarterly', truncated: true });
  });

  it('says why when the bytes are not a PDF', async () => {
    expect(await service(20_000, 128).extract(Buffer.from('just text'), 100)).toEqual({ ok: false, reason: 'it is not a readable PDF' });
  });

  it('stops readers at the time limit, which also bounds the wait of a third for one of two slots', async () => {
    const pdfs = service(1500, 128);
    const slow = pdfSlowToRead(60);
    const startedAt = performance.now();
    const results = await Promise.all([1, 2, 3].map(() => pdfs.extract(slow, 100)));
    const elapsed = performance.now() - startedAt;
    expect(results.slice(0, 2)).toEqual([
      { ok: false, reason: 'reading it took longer than 1.5 s' },
      { ok: false, reason: 'reading it took longer than 1.5 s' },
    ]);
    // Whether the third got a slot just as the limit passed or not at all, the limit is the whole wait.
    expect(results[2]).toEqual({ ok: false, reason: expect.stringMatching(/^(reading it took longer than|the PDF reader was busy for) 1\.5 s$/) });
    expect(elapsed).toBeGreaterThanOrEqual(1450);
    expect(elapsed).toBeLessThan(6000);
  });
});
