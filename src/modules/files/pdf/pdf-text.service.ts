import { Injectable } from '@nestjs/common';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppConfig } from '../../../config/app-config';
import type { PdfJob, PdfResult } from './pdf-text.worker';

/** Pages read at most: the text goes to a bounded prompt, more pages would only cost CPU. */
export const PDF_MAX_PAGES = 50;
/** Extractions running at once; more wait (their wait counts against the time limit). */
const CONCURRENT = 2;

export type PdfText = { ok: true; text: string; truncated: boolean } | { ok: false; reason: string };

// Tests run the TypeScript source (Node strips its types); the build runs the compiled .js.
const WORKER_FILE = join(__dirname, `pdf-text.worker${extname(__filename)}`);
const WORKER_ARGV = extname(__filename) === '.ts' ? ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'] : [];

/**
 * The text of a PDF (pdf.js through unpdf), extracted in a worker thread: a PDF that is slow or
 * huge to parse (a compressed content stream of gigabytes, say) would otherwise block the event
 * loop of every request. The worker has a memory limit and is terminated at the time limit;
 * either way the caller gets a reason, not an exception.
 */
@Injectable()
export class PdfTextService {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly config: AppConfig) {}

  async extract(bytes: Buffer, maxChars: number): Promise<PdfText> {
    const { timeoutMs } = this.config.files.pdf;
    const deadline = Date.now() + timeoutMs;
    if (!(await this.slot(timeoutMs))) return { ok: false, reason: `the PDF reader was busy for ${seconds(timeoutMs)}` };
    try {
      if (Date.now() >= deadline) return { ok: false, reason: `the PDF reader was busy for ${seconds(timeoutMs)}` };
      return await this.run({ bytes: new Uint8Array(bytes), maxChars, maxPages: PDF_MAX_PAGES }, deadline - Date.now());
    } finally {
      this.release();
    }
  }

  private run(job: PdfJob, timeoutMs: number): Promise<PdfText> {
    const { memoryMb } = this.config.files.pdf;
    return new Promise((resolve) => {
      const worker = new Worker(WORKER_FILE, {
        workerData: job,
        transferList: [job.bytes.buffer as ArrayBuffer],
        execArgv: WORKER_ARGV,
        resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(32, memoryMb / 4) },
      });
      let settled = false;
      const finish = (result: PdfText) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
        void worker.terminate();
      };
      const timer = setTimeout(() => finish({ ok: false, reason: `reading it took longer than ${seconds(this.config.files.pdf.timeoutMs)}` }), Math.max(timeoutMs, 0));
      worker.once('message', (result: PdfResult) => finish(result.ok ? result : { ok: false, reason: 'it is not a readable PDF' }));
      worker.once('error', (error: Error & { code?: string }) =>
        finish({ ok: false, reason: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `reading it needed more than ${memoryMb} MB` : 'the PDF reader failed' }),
      );
      worker.once('exit', () => finish({ ok: false, reason: 'the PDF reader stopped' }));
    });
  }

  /** Waits up to `timeoutMs` for a free slot; false when none came. */
  private slot(timeoutMs: number): Promise<boolean> {
    if (this.running < CONCURRENT) {
      this.running++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.running++;
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(wake), 1);
        resolve(false);
      }, timeoutMs);
      this.waiting.push(wake);
    });
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}

function seconds(ms: number): string {
  return `${+(ms / 1000).toFixed(1)} s`;
}
