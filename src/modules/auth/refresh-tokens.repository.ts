import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { returnedRows } from '../../database/pg-errors';
import { RefreshToken } from './refresh-token.entity';

export interface RotationClaim {
  userId: string;
  familyId: string;
}

@Injectable()
export class RefreshTokensRepository {
  constructor(@InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>) {}

  async insert(token: Pick<RefreshToken, 'userId' | 'familyId' | 'tokenHash' | 'expiresAt'>): Promise<void> {
    await this.tokens.insert(token);
  }

  /**
   * Claims a token for rotation in one conditional UPDATE: it must be live and either unused or
   * first used less than `graceSeconds` ago (two tabs refreshing at once both succeed; the row
   * lock serialises them). Returns null when the token cannot be used.
   */
  async claim(tokenHash: string, graceSeconds: number): Promise<RotationClaim | null> {
    const [row] = returnedRows<{ user_id: string; family_id: string }>(await this.tokens.query(
      `UPDATE refresh_tokens SET used_at = COALESCE(used_at, now())
        WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()
          AND (used_at IS NULL OR used_at > now() - make_interval(secs => $2))
        RETURNING user_id, family_id`,
      [tokenHash, graceSeconds],
    ));
    return row ? { userId: row.user_id, familyId: row.family_id } : null;
  }

  findByHash(tokenHash: string): Promise<RefreshToken | null> {
    return this.tokens.findOneBy({ tokenHash });
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.tokens.update({ familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.tokens.update({ userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }
}
