import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { StoredFile } from './file.entity';

/** file_shares: links made by the share_file tool; only the token's hash is stored. */
@Injectable()
export class FileSharesRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(data: { fileId: string; userId: string; tokenHash: string; expiresAt: Date; singleUse: boolean }): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO file_shares (file_id, user_id, token_hash, expires_at, single_use) VALUES ($1, $2, $3, $4, $5)`,
      [data.fileId, data.userId, data.tokenHash, data.expiresAt, data.singleUse],
    );
  }

  /**
   * The shared file when the link is live; a single-use link is spent by this same statement,
   * so two simultaneous requests cannot both get it. The file row is the owner's (join on user).
   */
  async redeem(tokenHash: string): Promise<StoredFile | null> {
    const result: unknown = await this.dataSource.query(
      `UPDATE file_shares SET used_at = COALESCE(used_at, now())
       WHERE token_hash = $1 AND expires_at > now() AND (NOT single_use OR used_at IS NULL)
       RETURNING file_id, user_id`,
      [tokenHash],
    );
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as Array<{ file_id: string; user_id: string }>;
    if (!rows.length) return null;
    return this.dataSource.getRepository(StoredFile).findOne({ where: { id: rows[0].file_id, userId: rows[0].user_id } });
  }
}
