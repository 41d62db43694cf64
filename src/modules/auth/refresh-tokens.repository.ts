import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { returnedRows } from '../../database/pg-errors';
import { RefreshFamily } from './refresh-family.entity';
import { RefreshToken } from './refresh-token.entity';

/** A presented refresh token, with its state judged by the database clock. */
export interface PresentedToken {
  id: string;
  userId: string;
  familyId: string;
  /** Revoked or expired. */
  dead: boolean;
  used: boolean;
  /** First used less than the grace window ago (two tabs refreshing at once). */
  usedWithinGrace: boolean;
}

@Injectable()
export class RefreshTokensRepository {
  constructor(
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
    @InjectRepository(RefreshFamily) private readonly families: Repository<RefreshFamily>,
  ) {}

  /** Runs `work` in one transaction, with this repository's queries bound to it. */
  transaction<T>(work: (tx: RefreshTokensRepository) => Promise<T>): Promise<T> {
    return this.tokens.manager.transaction((manager) =>
      work(new RefreshTokensRepository(manager.getRepository(RefreshToken), manager.getRepository(RefreshFamily))),
    );
  }

  async insertFamily(family: Pick<RefreshFamily, 'id' | 'userId' | 'expiresAt'>): Promise<void> {
    await this.families.insert(family);
  }

  /**
   * Locks a sign-in's row until the transaction ends: rotation and logout of one family run one
   * after the other, so a logout can never be undone by a refresh that was in flight.
   */
  lockFamily(familyId: string): Promise<RefreshFamily | null> {
    return this.families.createQueryBuilder('family').setLock('pessimistic_write').where('family.id = :familyId', { familyId }).getOne();
  }

  async insert(token: Pick<RefreshToken, 'userId' | 'familyId' | 'tokenHash' | 'expiresAt'>): Promise<void> {
    await this.tokens.insert(token);
  }

  async findPresented(tokenHash: string, graceSeconds: number): Promise<PresentedToken | null> {
    const [row] = returnedRows<{ id: string; user_id: string; family_id: string; dead: boolean; used: boolean; within_grace: boolean }>(
      await this.tokens.query(
        `SELECT id, user_id, family_id,
                (revoked_at IS NOT NULL OR expires_at <= now()) AS dead,
                used_at IS NOT NULL AS used,
                COALESCE(used_at > now() - make_interval(secs => $2), false) AS within_grace
           FROM refresh_tokens WHERE token_hash = $1`,
        [tokenHash, graceSeconds],
      ),
    );
    if (!row) return null;
    return { id: row.id, userId: row.user_id, familyId: row.family_id, dead: row.dead, used: row.used, usedWithinGrace: row.within_grace };
  }

  findByHash(tokenHash: string): Promise<RefreshToken | null> {
    return this.tokens.findOneBy({ tokenHash });
  }

  async markUsed(id: string): Promise<void> {
    await this.tokens.update({ id, usedAt: IsNull() }, { usedAt: () => 'now()' });
  }

  /** The family row first: its lock orders this after any rotation in flight. */
  async revokeFamily(familyId: string): Promise<void> {
    await this.families.update({ id: familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    await this.tokens.update({ familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.families.update({ userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    await this.tokens.update({ userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }
}
