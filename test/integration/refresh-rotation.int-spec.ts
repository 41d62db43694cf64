import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { hashToken } from '../../src/common/crypto/hash-token';
import { RefreshFamily } from '../../src/modules/auth/refresh-family.entity';
import { RefreshToken } from '../../src/modules/auth/refresh-token.entity';
import { RefreshTokensRepository } from '../../src/modules/auth/refresh-tokens.repository';
import { insertUser, openDatabase } from './database';

describe('Refresh token rotation SQL (PostgreSQL)', () => {
  let db: DataSource;
  let tokens: RefreshTokensRepository;

  beforeAll(async () => {
    db = await openDatabase();
    tokens = new RefreshTokensRepository(db.getRepository(RefreshToken), db.getRepository(RefreshFamily));
  });
  afterAll(() => db.destroy());

  async function signIn(): Promise<{ userId: string; familyId: string; hash: string }> {
    const userId = await insertUser(db);
    const familyId = randomUUID();
    const hash = hashToken(randomUUID());
    const expiresAt = new Date(Date.now() + 3600_000);
    await tokens.insertFamily({ id: familyId, userId, expiresAt });
    await tokens.insert({ userId, familyId, tokenHash: hash, expiresAt });
    return { userId, familyId, hash };
  }

  /** AuthService.refresh's transaction, reduced to its SQL: lock the family, read, rotate once. */
  const rotate = (session: { userId: string; familyId: string; hash: string }, holdMs = 0) =>
    tokens.transaction(async (tx) => {
      await tx.lockFamily(session.familyId);
      const presented = await tx.findPresented(session.hash, 10);
      if (holdMs) await new Promise((resolve) => setTimeout(resolve, holdMs));
      if (!presented || presented.dead) return 'dead';
      if (presented.used) return presented.usedWithinGrace ? 'within-grace' : 'reused';
      await tx.markUsed(presented.id);
      await tx.insert({ userId: session.userId, familyId: session.familyId, tokenHash: hashToken(randomUUID()), expiresAt: new Date(Date.now() + 3600_000) });
      return 'rotated';
    });

  it('two concurrent rotations of one token: the family lock lets exactly one rotate, the other sees it used', async () => {
    const session = await signIn();
    const outcomes = await Promise.all([rotate(session, 150), rotate(session), rotate(session)]);
    expect(outcomes.sort()).toEqual(['rotated', 'within-grace', 'within-grace']);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = $1`, [session.familyId]);
    expect(n).toBe(2);
  });

  it('markUsed keeps the first use time; past the grace window a reuse is reported as such', async () => {
    const session = await signIn();
    expect(await rotate(session)).toBe('rotated');
    const [before] = await db.query(`SELECT used_at FROM refresh_tokens WHERE token_hash = $1`, [session.hash]);
    const presented = await tokens.findPresented(session.hash, 10);
    await tokens.markUsed(presented!.id);
    const [after] = await db.query(`SELECT used_at FROM refresh_tokens WHERE token_hash = $1`, [session.hash]);
    expect(after.used_at).toEqual(before.used_at);
    await db.query(`UPDATE refresh_tokens SET used_at = now() - interval '1 minute' WHERE token_hash = $1`, [session.hash]);
    expect(await rotate(session)).toBe('reused');
  });

  it('a logout racing a rotation waits for it, then revokes the successor too', async () => {
    const session = await signIn();
    const rotation = rotate(session, 200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await tokens.transaction((tx) => tx.revokeFamily(session.familyId));
    expect(await rotation).toBe('rotated');
    const rows = await db.query(`SELECT revoked_at IS NOT NULL AS revoked FROM refresh_tokens WHERE family_id = $1`, [session.familyId]);
    expect(rows).toEqual([{ revoked: true }, { revoked: true }]);
    expect(await rotate(session)).toBe('dead');
  });
});
