import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { returnedRows } from '../../../database/pg-errors';
import { EmailToken, EmailTokenPurpose } from './email-token.entity';

@Injectable()
export class EmailTokensRepository {
  constructor(@InjectRepository(EmailToken) private readonly tokens: Repository<EmailToken>) {}

  /** Stores a new token and retires the user's earlier unused ones of that purpose: only the latest mail works. */
  async issue(userId: string, purpose: EmailTokenPurpose, tokenHash: string, ttlSeconds: number): Promise<void> {
    await this.tokens.manager.transaction(async (manager) => {
      // Housekeeping bounded by one user: tokens a day past their expiry are of no use to anyone.
      await manager.query(`DELETE FROM email_tokens WHERE user_id = $1 AND expires_at < now() - interval '1 day'`, [userId]);
      await manager.query(`UPDATE email_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, [userId, purpose]);
      await manager.query(
        `INSERT INTO email_tokens (user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
        [userId, purpose, tokenHash, ttlSeconds],
      );
    });
  }

  /** Whether a token could be used now (a cheap check before expensive work; the use itself re-checks). */
  async isLive(tokenHash: string, purpose: EmailTokenPurpose): Promise<boolean> {
    return this.tokens
      .createQueryBuilder('token')
      .where('token.tokenHash = :tokenHash AND token.purpose = :purpose AND token.usedAt IS NULL AND token.expiresAt > now()', { tokenHash, purpose })
      .getExists();
  }

  /**
   * Marks the user's email verified by a live token, in one conditional statement: two clicks
   * at once cannot both use it. Returns the user id, or null (unknown, expired or used).
   */
  async verifyEmail(tokenHash: string): Promise<string | null> {
    const [row] = returnedRows<{ user_id: string }>(
      await this.tokens.query(
        `WITH used AS (
           UPDATE email_tokens SET used_at = now()
            WHERE token_hash = $1 AND purpose = 'verify_email' AND used_at IS NULL AND expires_at > now()
           RETURNING user_id)
         UPDATE users SET email_verified = true, updated_at = now() FROM used WHERE users.id = used.user_id
         RETURNING users.id AS user_id`,
        [tokenHash],
      ),
    );
    return row?.user_id ?? null;
  }

  /**
   * Uses a live reset token: sets the password, retires every other reset token, and revokes all
   * of the user's sign-ins (refresh families end their access tokens too), in one transaction.
   * The mail reached the user, so the address counts as verified. Returns the user id, or null.
   */
  resetPassword(tokenHash: string, passwordHash: string): Promise<string | null> {
    return this.tokens.manager.transaction(async (manager) => {
      const [used] = returnedRows<{ user_id: string }>(
        await manager.query(
          `UPDATE email_tokens SET used_at = now()
            WHERE token_hash = $1 AND purpose = 'reset_password' AND used_at IS NULL AND expires_at > now()
           RETURNING user_id`,
          [tokenHash],
        ),
      );
      if (!used) return null;
      const userId = used.user_id;
      await manager.query(
        `UPDATE users SET password_hash = $2, email_verified = true, updated_at = now() WHERE id = $1 AND auth_provider = 'local'`,
        [userId, passwordHash],
      );
      await manager.query(`UPDATE email_tokens SET used_at = now() WHERE user_id = $1 AND purpose = 'reset_password' AND used_at IS NULL`, [userId]);
      await manager.query(`UPDATE refresh_families SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
      await manager.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
      return userId;
    });
  }
}
