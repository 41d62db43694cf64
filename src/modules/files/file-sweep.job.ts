import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { FilesRepository } from './files.repository';
import { StorageDriver } from './storage/storage-driver';

/** Objects and rows younger than this are left alone: an upload may be between its two writes. */
const GRACE_MS = 15 * 60 * 1000;
const BATCH = 500;

/**
 * Removes storage objects that have no row (a crash between upload and insert, a failed
 * delete) and rows whose object is gone. One instance at a time (advisory lock).
 */
@Injectable()
export class FileSweepJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FileSweepJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly files: FilesRepository,
    private readonly storage: StorageDriver,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep().catch((error: unknown) => this.logger.error({ err: error }, 'File sweep failed')), this.config.files.sweepIntervalSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass; `graceMs` is for tests. Undefined when another instance holds the sweep. */
  async sweep(graceMs = GRACE_MS): Promise<{ objects: number; rows: number } | undefined> {
    if (this.running) return undefined;
    const pass = this.files.withSweepLock(() => this.pass(graceMs));
    this.running = pass;
    try {
      return await pass;
    } finally {
      this.running = undefined;
    }
  }

  private async pass(graceMs: number): Promise<{ objects: number; rows: number }> {
    const cutoff = new Date(Date.now() - graceMs);
    const seen = new Set<string>();
    let batch: string[] = [];
    let objects = 0;
    const flush = async () => {
      const known = await this.files.existingKeys(batch);
      for (const key of batch.filter((key) => !known.has(key))) {
        await this.storage.delete(key);
        objects++;
      }
      batch = [];
    };
    for await (const object of this.storage.list()) {
      seen.add(object.key);
      if (object.lastModified < cutoff) batch.push(object.key);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    const rows = await this.files.deleteRowsWithout(seen, cutoff);
    if (objects || rows) this.logger.log({ objects, rows }, 'File sweep removed orphans');
    return { objects, rows };
  }
}
