import { Injectable } from '@nestjs/common';
import { DataSource, In, Repository } from 'typeorm';
import { StoredFile } from './file.entity';

/** Fixed key for pg_try_advisory_xact_lock: one sweep at a time across instances. */
const SWEEP_LOCK = 0x66696c65; // "file"

@Injectable()
export class FilesRepository {
  private readonly files: Repository<StoredFile>;

  constructor(private readonly dataSource: DataSource) {
    this.files = dataSource.getRepository(StoredFile);
  }

  async conversationOwned(conversationId: string, userId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM conversations WHERE id = $1 AND user_id = $2`, [conversationId, userId]);
    return rows.length > 0;
  }

  list(conversationId: string, userId: string, page: { limit: number; offset: number }): Promise<[StoredFile[], number]> {
    return this.files.findAndCount({ where: { conversationId, userId }, order: { createdAt: 'ASC', id: 'ASC' }, take: page.limit, skip: page.offset });
  }

  findOwned(id: string, conversationId: string, userId: string): Promise<StoredFile | null> {
    return this.files.findOne({ where: { id, conversationId, userId } });
  }

  findManyOwned(ids: string[], conversationId: string, userId: string): Promise<StoredFile[]> {
    return ids.length ? this.files.find({ where: { id: In(ids), conversationId, userId } }) : Promise.resolve([]);
  }

  /** Bytes the user uploaded in the last hour (deleted files included). */
  async uploadedLastHour(userId: string): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT COALESCE(SUM(bytes), 0) AS total FROM upload_usage WHERE user_id = $1 AND created_at > now() - interval '1 hour'`,
      [userId],
    );
    return Number(row.total);
  }

  /**
   * Inserts the rows and counts their bytes against the hourly quota in one transaction,
   * serialized per user (advisory lock), so concurrent uploads cannot both squeeze under it.
   * Null (nothing written) when the quota would be exceeded.
   */
  async insertWithinQuota(userId: string, rows: Array<Omit<StoredFile, 'id' | 'createdAt'>>, maxPerHour: number): Promise<StoredFile[] | null> {
    const bytes = rows.reduce((sum, row) => sum + row.size, 0);
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('upload:' || $1))`, [userId]);
      const [row] = await manager.query(
        `SELECT COALESCE(SUM(bytes), 0) AS total FROM upload_usage WHERE user_id = $1 AND created_at > now() - interval '1 hour'`,
        [userId],
      );
      if (Number(row.total) + bytes > maxPerHour) return null;
      await manager.query(`INSERT INTO upload_usage (user_id, bytes) VALUES ($1, $2)`, [userId, bytes]);
      return manager.getRepository(StoredFile).save(rows.map((data) => manager.getRepository(StoredFile).create(data)));
    });
  }

  /** Deletes the row; the storage key when there was one (so the caller removes the object). */
  async deleteOwned(id: string, conversationId: string, userId: string): Promise<string | null> {
    const rows = returned<{ storage_key: string }>(
      await this.dataSource.query(`DELETE FROM files WHERE id = $1 AND conversation_id = $2 AND user_id = $3 RETURNING storage_key`, [
        id,
        conversationId,
        userId,
      ]),
    );
    return rows[0]?.storage_key ?? null;
  }

  async deleteForConversation(conversationId: string, userId: string): Promise<string[]> {
    const rows = returned<{ storage_key: string }>(
      await this.dataSource.query(`DELETE FROM files WHERE conversation_id = $1 AND user_id = $2 RETURNING storage_key`, [conversationId, userId]),
    );
    return rows.map((row) => row.storage_key);
  }

  /** Which of these keys have a row. */
  async existingKeys(keys: string[]): Promise<Set<string>> {
    if (!keys.length) return new Set();
    const rows: Array<{ storage_key: string }> = await this.dataSource.query(`SELECT storage_key FROM files WHERE storage_key = ANY($1)`, [keys]);
    return new Set(rows.map((row) => row.storage_key));
  }

  /** Deletes rows created before `before` whose object is not in `present`. */
  async deleteRowsWithout(present: Set<string>, before: Date): Promise<number> {
    const rows: Array<{ id: string; storage_key: string }> = await this.dataSource.query(`SELECT id, storage_key FROM files WHERE created_at < $1`, [before]);
    const missing = rows.filter((row) => !present.has(row.storage_key)).map((row) => row.id);
    if (!missing.length) return 0;
    await this.dataSource.query(`DELETE FROM files WHERE id = ANY($1) AND created_at < $2`, [missing, before]);
    return missing.length;
  }

  /** Runs `work` only if no other instance is sweeping (transaction-scoped advisory lock). */
  async withSweepLock<T>(work: () => Promise<T>): Promise<T | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [SWEEP_LOCK]);
      return row.locked ? work() : undefined;
    });
  }
}

/** TypeORM answers a DELETE ... RETURNING as `[rows, affected]`. */
function returned<T>(result: unknown): T[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}
