import { Injectable } from '@nestjs/common';
import { IntervalJob } from '../../common/lifecycle/interval-job';
import { AppConfig } from '../../config/app-config';
import { FilesRepository } from './files.repository';
import { StorageDriver } from './storage/storage-driver';

/** Objects and rows younger than this are left alone: an upload may be between its two writes. */
const GRACE_MS = 15 * 60 * 1000;
const BATCH = 500;

type SweepResult = { objects: number; rows: number } | undefined;

/**
 * Removes storage objects that have no row (a crash between upload and insert, a failed
 * delete) and rows whose object is gone. One instance at a time (advisory lock).
 */
@Injectable()
export class FileSweepJob extends IntervalJob<SweepResult> {
  constructor(
    private readonly files: FilesRepository,
    private readonly storage: StorageDriver,
    private readonly config: AppConfig,
  ) {
    super();
  }

  protected get intervalSeconds(): number {
    return this.config.files.sweepIntervalSeconds;
  }

  protected tick(): Promise<SweepResult> {
    return this.files.withSweepLock(() => this.pass(GRACE_MS));
  }

  /** One pass; `graceMs` is for tests. Undefined when another instance (or pass) holds the sweep. */
  sweep(graceMs = GRACE_MS): Promise<SweepResult | undefined> {
    return this.exclusive(() => this.files.withSweepLock(() => this.pass(graceMs)));
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
