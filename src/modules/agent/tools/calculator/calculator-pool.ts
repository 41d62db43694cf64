import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

// Tests run the TypeScript source (Node strips its types); the build runs the compiled .js.
const ARITHMETIC_FILE = join(__dirname, `arithmetic${extname(__filename)}`);
const WORKER_ARGV = extname(__filename) === '.ts' ? ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'] : [];

/**
 * The worker: a mathjs instance checking (arithmetic.ts) and evaluating one expression per message. Inline source (not a
 * file) so it runs the same from src/ under jest and from dist/ in production.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { create, all } = require(workerData.mathjs);
const checkArithmetic = workerData.arithmetic ? require(workerData.arithmetic).checkArithmetic : () => {};
const math = create(all, { number: 'number' });
math.evaluate('1 + 1'); // warm the parser, so a first expression is not charged for it
parentPort.postMessage({ ready: true });
parentPort.on('message', ({ id, expression }) => {
  try {
    checkArithmetic(expression, math.parse);
    const value = math.evaluate(expression);
    if (typeof value !== 'number') throw new Error('the result is not a number');
    parentPort.postMessage({ id, value: math.format(value, { precision: 14 }) });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});
`;

export class EvaluationTimeoutError extends Error {}

interface Task {
  id: number;
  expression: string;
  resolve: (value: string) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Loading mathjs takes a moment; deadlines start once the worker is ready. */
  ready: boolean;
  task?: Task;
  timer?: NodeJS.Timeout;
}

/**
 * A few worker threads that evaluate expressions off the event loop, each with a deadline: a
 * worker over its time is terminated and replaced, so no expression can stall the server.
 */
export class CalculatorPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly size = 2,
    private readonly timeoutMs = 1000,
    /** Heap ceiling per worker: an allocation beyond it ends that worker, not the process. */
    private readonly maxHeapMb = 64,
    /** The allow-list checked before each evaluation; null only to test the deadline behind it. */
    private readonly checkFile: string | null = ARITHMETIC_FILE,
  ) {}

  evaluate(expression: string): Promise<string> {
    if (this.closed) return Promise.reject(new Error('calculator is shut down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: ++this.nextId, expression, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('calculator is shut down'));
    await Promise.all(this.slots.splice(0).map((slot) => this.retire(slot, new Error('calculator is shut down'))));
  }

  private dispatch(): void {
    while (this.queue.length) {
      const slot = this.slots.find((candidate) => candidate.ready && !candidate.task);
      if (!slot) {
        if (this.slots.length < this.size && this.slots.every((candidate) => candidate.ready)) this.spawn();
        return;
      }
      const task = this.queue.shift()!;
      slot.task = task;
      slot.timer = setTimeout(() => void this.replace(slot, new EvaluationTimeoutError(`evaluation took longer than ${this.timeoutMs} ms`)), this.timeoutMs);
      slot.worker.postMessage({ id: task.id, expression: task.expression });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { mathjs: require.resolve('mathjs'), arithmetic: this.checkFile },
      execArgv: WORKER_ARGV,
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: 16 },
    });
    worker.unref();
    const slot: Slot = { worker, ready: false };
    worker.on('message', (message: { ready?: boolean; id?: number; value?: string; error?: string }) => {
      if (message.ready) {
        slot.ready = true;
        return this.dispatch();
      }
      const task = slot.task;
      if (!task || task.id !== message.id) return;
      clearTimeout(slot.timer);
      slot.task = undefined;
      if (message.error !== undefined) task.reject(new Error(message.error));
      else task.resolve(message.value!);
      this.dispatch();
    });
    // Out of memory or crashed: fail its task and make room for a fresh worker.
    worker.on('error', (error) => void this.replace(slot, error));
    worker.on('exit', () => void this.replace(slot, new Error('the calculator stopped unexpectedly')));
    this.slots.push(slot);
    return slot;
  }

  private async replace(slot: Slot, error: Error): Promise<void> {
    const index = this.slots.indexOf(slot);
    if (index === -1) return;
    this.slots.splice(index, 1);
    await this.retire(slot, error);
    if (!this.closed) this.dispatch();
  }

  private async retire(slot: Slot, error: Error): Promise<void> {
    clearTimeout(slot.timer);
    const task = slot.task;
    slot.task = undefined;
    task?.reject(error);
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => undefined);
    await slot.worker.terminate();
  }
}
