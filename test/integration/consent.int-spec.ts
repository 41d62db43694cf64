import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { hashToken } from '../../src/common/crypto/hash-token';
import { actionHash } from '../../src/modules/consent/action-hash';
import { ConsentRequest } from '../../src/modules/consent/consent-request.entity';
import { ConsentToken } from '../../src/modules/consent/consent-token.entity';
import { ConsentRepository, NewConsentToken } from '../../src/modules/consent/consent.repository';
import { insertConversation, insertMessage, insertUser, openDatabase } from './database';

describe('Consent SQL: decide, redeem, expire, lost resumes (PostgreSQL)', () => {
  let db: DataSource;
  let consents: ConsentRepository;
  let userId: string;

  beforeAll(async () => {
    db = await openDatabase();
    consents = new ConsentRepository(db.getRepository(ConsentRequest), db.getRepository(ConsentToken));
    userId = await insertUser(db);
  });
  afterAll(() => db.destroy());

  const action = { tool: 'submit_document', arguments: { title: 'T', content: 'C' }, description: 'Submit', allowed_decisions: ['approve', 'edit', 'reject'] as Array<'approve' | 'edit' | 'reject'>, tool_call_id: 'call_1' };

  async function pending(expiresInSeconds = 3600): Promise<ConsentRequest> {
    const conversationId = await insertConversation(db, userId);
    const messageId = await insertMessage(db, conversationId, userId, 'awaiting_consent');
    return consents.create({ userId, conversationId, messageId, actions: [action], expiresAt: new Date(Date.now() + expiresInSeconds * 1000) });
  }

  function token(request: ConsentRequest, plain: string, args: Record<string, unknown> = action.arguments): NewConsentToken {
    return {
      userId,
      conversationId: request.conversationId!,
      tokenHash: hashToken(plain),
      tokenSealed: null,
      actionHash: actionHash({ consentRequestId: request.id, toolCallId: 'call_1', tool: action.tool, args }),
      toolCallId: 'call_1',
      expiresAt: request.expiresAt,
    };
  }

  const approve = { status: 'approved' as const, decisions: [{ type: 'approve' as const, tool: action.tool, arguments: action.arguments }], reason: null };

  it('decide: of concurrent deciders exactly one wins, and only its tokens are stored', async () => {
    const request = await pending();
    const deciders = Array.from({ length: 5 }, (_, index) => consents.decide(request.id, userId, { ...approve, decidedBy: userId }, [token(request, `token-${index}`)]));
    const results = await Promise.all(deciders);
    expect(results.filter((result) => result !== null)).toHaveLength(1);
    expect(results.find((result) => result !== null)).toMatchObject({ id: request.id, status: 'approved', resumedAt: null });
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM consent_tokens WHERE consent_request_id = $1`, [request.id]);
    expect(n).toBe(1);
  });

  it('decide: refuses an expired, another user’s, or an already decided request', async () => {
    const expired = await pending(-1);
    expect(await consents.decide(expired.id, userId, { ...approve, decidedBy: userId }, [token(expired, 'x')])).toBeNull();
    const request = await pending();
    expect(await consents.decide(request.id, await insertUser(db), { ...approve, decidedBy: userId }, [])).toBeNull();
    expect(await consents.decide(request.id, userId, { ...approve, decidedBy: userId }, [])).not.toBeNull();
    expect(await consents.decide(request.id, userId, { ...approve, status: 'rejected', decidedBy: userId }, [])).toBeNull();
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM consent_tokens WHERE consent_request_id = $1`, [expired.id]);
    expect(n).toBe(0);
  });

  it('redeemToken: exactly this token for exactly this action, once, even when redeemed concurrently', async () => {
    const request = await pending();
    await consents.decide(request.id, userId, { ...approve, decidedBy: userId }, [token(request, 'the-token')]);
    const bound = actionHash({ consentRequestId: request.id, toolCallId: 'call_1', tool: action.tool, args: action.arguments });
    // Other arguments, another tool call, another request, another user, another token: refused.
    expect(await consents.redeemToken(hashToken('the-token'), userId, actionHash({ consentRequestId: request.id, toolCallId: 'call_1', tool: action.tool, args: { title: 'X', content: 'C' } }))).toBe(false);
    expect(await consents.redeemToken(hashToken('the-token'), userId, actionHash({ consentRequestId: request.id, toolCallId: 'call_2', tool: action.tool, args: action.arguments }))).toBe(false);
    expect(await consents.redeemToken(hashToken('the-token'), userId, actionHash({ consentRequestId: randomUUID(), toolCallId: 'call_1', tool: action.tool, args: action.arguments }))).toBe(false);
    expect(await consents.redeemToken(hashToken('the-token'), await insertUser(db), bound)).toBe(false);
    expect(await consents.redeemToken(hashToken('other-token'), userId, bound)).toBe(false);

    const redeemed = await Promise.all(Array.from({ length: 5 }, () => consents.redeemToken(hashToken('the-token'), userId, bound)));
    expect(redeemed.filter(Boolean)).toHaveLength(1);
    expect(await consents.redeemToken(hashToken('the-token'), userId, bound)).toBe(false);
  });

  it('redeemToken: an expired token is refused', async () => {
    const request = await pending();
    await consents.decide(request.id, userId, { ...approve, decidedBy: userId }, [{ ...token(request, 'late-token'), expiresAt: new Date(Date.now() - 1000) }]);
    const bound = actionHash({ consentRequestId: request.id, toolCallId: 'call_1', tool: action.tool, args: action.arguments });
    expect(await consents.redeemToken(hashToken('late-token'), userId, bound)).toBe(false);
  });

  it('expireDue: concurrent sweeps expire each due request exactly once and leave the rest', async () => {
    const due = await Promise.all([pending(-1), pending(-1), pending(-1)]);
    const notDue = await pending();
    const [a, b] = await Promise.all([consents.expireDue(100), consents.expireDue(100)]);
    const claimed = [...a, ...b].map((request) => request.id);
    for (const request of due) expect(claimed.filter((id) => id === request.id)).toHaveLength(1);
    expect(claimed).not.toContain(notDue.id);
    expect((await consents.findOwned(due[0].id, userId))!.status).toBe('expired');
    expect((await consents.findOwned(notDue.id, userId))!.status).toBe('pending');
  });

  it('claimUnresumed: a decision whose resume never started is claimed once per grace period, and never after it resumed', async () => {
    const request = await pending();
    await consents.decide(request.id, userId, { ...approve, decidedBy: userId }, []);
    // Within the grace period: not lost yet.
    expect((await consents.claimUnresumed(60, 100)).map((r) => r.id)).not.toContain(request.id);
    await db.query(`UPDATE consent_requests SET decided_at = now() - interval '2 minutes' WHERE id = $1`, [request.id]);
    const [first, second] = await Promise.all([consents.claimUnresumed(60, 100), consents.claimUnresumed(60, 100)]);
    expect([...first, ...second].filter((r) => r.id === request.id)).toHaveLength(1);
    // Claimed: the next sweep waits a grace period (the claimer may still be resuming it)...
    expect((await consents.claimUnresumed(60, 100)).map((r) => r.id)).not.toContain(request.id);
    // ...after which a claimer that died is replaced.
    await db.query(`UPDATE consent_requests SET resume_claimed_at = now() - interval '2 minutes' WHERE id = $1`, [request.id]);
    expect((await consents.claimUnresumed(60, 100)).map((r) => r.id)).toContain(request.id);
    await consents.markResumed(request.id);
    await db.query(`UPDATE consent_requests SET resume_claimed_at = NULL WHERE id = $1`, [request.id]);
    expect((await consents.claimUnresumed(60, 100)).map((r) => r.id)).not.toContain(request.id);
  });

  it('claimUnresumed never takes a pending request', async () => {
    const request = await pending();
    await db.query(`UPDATE consent_requests SET created_at = now() - interval '1 hour' WHERE id = $1`, [request.id]);
    expect((await consents.claimUnresumed(0, 100)).map((r) => r.id)).not.toContain(request.id);
  });
});
