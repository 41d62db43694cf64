import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ReplyStartRepository, ReplyStartRequest } from '../../src/modules/chat/reply-start.repository';
import { insertConversation, insertMessage, insertUser, openDatabase } from './database';

/** start_reply (migrations 1764000007500, 1764000007700): every check and write of a message's start, the token reservation included, in one statement. */
describe('Reply start SQL (PostgreSQL)', () => {
  let db: DataSource;
  let starts: ReplyStartRepository;

  beforeAll(async () => {
    db = await openDatabase();
    starts = new ReplyStartRepository(db);
  });
  afterAll(() => db.destroy());

  const models = { model: null, offered: ['p:default', 'p:preferred', 'p:chosen'], serverDefault: 'p:default' };
  const start = (userId: string, conversationId: string, patch: Partial<ReplyStartRequest> = {}) =>
    starts.start({ userId, conversationId, replyId: randomUUID(), content: 'hello', models, staleSeconds: 30, maxActive: 10, reservation: null, ...patch });
  const messages = (conversationId: string) =>
    db.query(`SELECT id, role, content, status, model, error FROM messages WHERE conversation_id = $1 ORDER BY created_at, id`, [conversationId]);
  const claim = async (conversationId: string) =>
    (await db.query(`SELECT active_reply_id FROM conversations WHERE id = $1`, [conversationId]))[0].active_reply_id as string | null;
  const reservedTokens = async (userId: string) =>
    Number((await db.query(`SELECT COALESCE(sum(reserved_tokens), 0) AS n FROM usage_daily WHERE user_id = $1`, [userId]))[0].n);
  const spend = (userId: string, total: number) =>
    db.query(
      `INSERT INTO usage_daily (user_id, day, input_tokens, output_tokens, total_tokens) VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 0, $2, $2)
       ON CONFLICT (user_id, day) DO UPDATE SET total_tokens = EXCLUDED.total_tokens`,
      [userId, total],
    );
  const reservation = { tokens: 100, defaultLimit: 1000 };
  const goStale = (userId: string) => db.query(`UPDATE conversations SET reply_heartbeat_at = now() - interval '60 seconds' WHERE user_id = $1 AND active_reply_id IS NOT NULL`, [userId]);

  it('claims the conversation and stores the user message, then the streaming assistant message with the reply id', async () => {
    const userId = await insertUser(db);
    const id = await insertConversation(db, userId);
    await db.query(`UPDATE conversations SET event_seq = 7 WHERE id = $1`, [id]);
    const replyId = randomUUID();
    expect(await start(userId, id, { replyId })).toEqual({ outcome: 'started', eventSeq: 7, model: 'p:default', abandonedReplyId: null, reservedTokens: 0 });
    expect(await claim(id)).toBe(replyId);
    expect(await messages(id)).toEqual([
      { id: expect.any(String), role: 'user', content: 'hello', status: 'complete', model: null, error: null },
      { id: replyId, role: 'assistant', content: '', status: 'streaming', model: 'p:default', error: null },
    ]);
  });

  it("refuses another user's or a missing conversation (not_found) and stores nothing", async () => {
    const owner = await insertUser(db);
    const id = await insertConversation(db, owner);
    expect(await start(await insertUser(db), id)).toEqual({ outcome: 'not_found' });
    expect(await start(owner, randomUUID())).toEqual({ outcome: 'not_found' });
    expect(await claim(id)).toBeNull();
    expect(await messages(id)).toEqual([]);
  });

  it('refuses while a consent request is pending in the conversation, naming it, and stores nothing', async () => {
    const userId = await insertUser(db);
    const id = await insertConversation(db, userId);
    const paused = await insertMessage(db, id, userId, 'awaiting_consent');
    const [request] = await db.query(
      `INSERT INTO consent_requests (user_id, conversation_id, message_id, actions, status, expires_at)
       VALUES ($1, $2, $3, '[]', 'pending', now() + interval '1 hour') RETURNING id`,
      [userId, id, paused],
    );
    expect(await start(userId, id)).toEqual({ outcome: 'consent', consentRequestId: request.id });
    expect(await claim(id)).toBeNull();
    expect((await messages(id)).map((m: { id: string }) => m.id)).toEqual([paused]);
    // Decided, it no longer blocks.
    await db.query(`UPDATE consent_requests SET status = 'approved' WHERE id = $1`, [request.id]);
    expect(await start(userId, id)).toMatchObject({ outcome: 'started' });
  });

  it.each([1, 2, 3])('of 8 concurrent starts in different conversations with a limit of %i, exactly that many win', async (limit) => {
    const userId = await insertUser(db);
    const ids = await Promise.all(Array.from({ length: 8 }, () => insertConversation(db, userId)));
    const outcomes = await Promise.all(ids.map((id) => start(userId, id, { maxActive: limit })));
    expect(outcomes.filter((o) => o.outcome === 'started')).toHaveLength(limit);
    expect(outcomes.filter((o) => o.outcome === 'limit')).toHaveLength(8 - limit);
    const [{ claimed, stored }] = await db.query(
      `SELECT count(*) FILTER (WHERE active_reply_id IS NOT NULL)::int AS claimed,
              (SELECT count(*) FROM messages WHERE user_id = $1)::int AS stored
         FROM conversations WHERE user_id = $1`,
      [userId],
    );
    // The refused starts stored nothing: two messages per winner only.
    expect({ claimed, stored }).toEqual({ claimed: limit, stored: 2 * limit });
  });

  it('of concurrent starts in one conversation exactly one wins; the rest are busy', async () => {
    const userId = await insertUser(db);
    const id = await insertConversation(db, userId);
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => start(userId, id)));
    expect(outcomes.filter((o) => o.outcome === 'started')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'busy')).toHaveLength(5);
    expect(await messages(id)).toHaveLength(2);
  });

  it('does not count stale replies against the limit, and takes over a stale reply, marking it interrupted', async () => {
    const userId = await insertUser(db);
    const [first, second] = await Promise.all([insertConversation(db, userId), insertConversation(db, userId)]);
    const abandoned = randomUUID();
    expect(await start(userId, first, { replyId: abandoned, maxActive: 1 })).toMatchObject({ outcome: 'started' });
    expect(await start(userId, second, { maxActive: 1 })).toEqual({ outcome: 'limit' });
    expect(await start(userId, first, { maxActive: 1 })).toEqual({ outcome: 'busy' });
    await goStale(userId);
    expect(await start(userId, second, { maxActive: 1 })).toMatchObject({ outcome: 'started', abandonedReplyId: null });
    await goStale(userId);
    const takeover = randomUUID();
    expect(await start(userId, first, { replyId: takeover, maxActive: 1 })).toMatchObject({ outcome: 'started', abandonedReplyId: abandoned });
    expect(await claim(first)).toBe(takeover);
    const stored = await messages(first);
    expect(stored.find((m: { id: string }) => m.id === abandoned)).toMatchObject({
      status: 'interrupted',
      error: { code: 'SERVICE_UNAVAILABLE', message: 'The server generating this reply stopped' },
    });
    expect(stored.map((m: { role: string; status: string }) => `${m.role}:${m.status}`)).toEqual(['user:complete', 'assistant:interrupted', 'user:complete', 'assistant:streaming']);
  });

  it("chooses the model: the caller's, else the conversation's, else the user's default_model, either while offered, else the server default", async () => {
    const userId = await insertUser(db);
    const modelOf = async (stored: string | null, chosen: string | null) => {
      const id = await insertConversation(db, userId);
      await db.query(`UPDATE conversations SET model = $2 WHERE id = $1`, [id, stored]);
      const started = await start(userId, id, { models: { ...models, model: chosen } });
      return started.outcome === 'started' ? started.model : started.outcome;
    };
    const prefer = (model: string) =>
      db.query(
        `INSERT INTO user_settings (user_id, preferences) VALUES ($1, jsonb_build_object('default_model', $2::text))
         ON CONFLICT (user_id) DO UPDATE SET preferences = EXCLUDED.preferences`,
        [userId, model],
      );
    expect(await modelOf('p:chosen', 'p:default')).toBe('p:default');
    expect(await modelOf('p:chosen', null)).toBe('p:chosen');
    expect(await modelOf('p:withdrawn', null)).toBe('p:default');
    expect(await modelOf(null, null)).toBe('p:default');
    await prefer('p:preferred');
    expect(await modelOf(null, null)).toBe('p:preferred');
    expect(await modelOf('p:chosen', null)).toBe('p:chosen');
    await prefer('p:withdrawn');
    expect(await modelOf(null, null)).toBe('p:default');
  });

  it('a failure after the claim inside the statement leaves no claim and no message', async () => {
    const userId = await insertUser(db);
    const id = await insertConversation(db, userId);
    // The assistant message's insert fails (model longer than its column): the claim and the user message go with it.
    await expect(start(userId, id, { models: { ...models, model: 'p:'.padEnd(300, 'x') } })).rejects.toThrow(/too long/);
    expect(await claim(id)).toBeNull();
    expect(await messages(id)).toEqual([]);
    expect(await start(userId, id)).toMatchObject({ outcome: 'started' });
  });
  it("reserves the reply's tokens against the default or the user's own daily limit; 0 is no limit, nothing reserved", async () => {
    const userId = await insertUser(db);
    const [first, second, third] = await Promise.all([insertConversation(db, userId), insertConversation(db, userId), insertConversation(db, userId)]);
    expect(await start(userId, first, { reservation })).toMatchObject({ outcome: 'started', reservedTokens: 100 });
    expect(await reservedTokens(userId)).toBe(100);
    // An admin-set limit replaces the default: 150 leaves no room for a second 100 on top of the first.
    await db.query(`INSERT INTO user_settings (user_id, api_limits) VALUES ($1, '{"max_tokens_per_day": 150}')`, [userId]);
    expect(await start(userId, second, { reservation })).toEqual({ outcome: 'budget', limit: 150, used: 0 });
    await db.query(`UPDATE user_settings SET api_limits = '{"max_tokens_per_day": 0}' WHERE user_id = $1`, [userId]);
    expect(await start(userId, third, { reservation })).toMatchObject({ outcome: 'started', reservedTokens: 0 });
    expect(await reservedTokens(userId)).toBe(100);
  });

  it('refuses a spent budget first (before not_found, consent, limit and busy) with the limit and what was used, storing and reserving nothing', async () => {
    const userId = await insertUser(db);
    const id = await insertConversation(db, userId);
    await spend(userId, 950);
    expect(await start(userId, id, { reservation })).toEqual({ outcome: 'budget', limit: 1000, used: 950 });
    expect(await start(userId, randomUUID(), { reservation })).toEqual({ outcome: 'budget', limit: 1000, used: 950 });
    expect(await start(userId, id, { reservation, maxActive: 0 })).toEqual({ outcome: 'budget', limit: 1000, used: 950 });
    expect(await claim(id)).toBeNull();
    expect(await messages(id)).toEqual([]);
    expect(await reservedTokens(userId)).toBe(0);
    // Nothing reserved beforehand (no usage row): a reservation bigger than the limit does not fit either.
    const fresh = await insertUser(db);
    expect(await start(fresh, await insertConversation(db, fresh), { reservation: { tokens: 1001, defaultLimit: 1000 } })).toEqual({ outcome: 'budget', limit: 1000, used: 0 });
    // Without a reservation to make (the caller reserved already) the budget is not checked.
    expect(await start(userId, id)).toMatchObject({ outcome: 'started', reservedTokens: 0 });
  });

  it('keeps no reservation when it refuses for another reason (not_found, consent, limit, busy) or fails after the claim', async () => {
    const userId = await insertUser(db);
    const [held, other, paused] = await Promise.all([insertConversation(db, userId), insertConversation(db, userId), insertConversation(db, userId)]);
    expect(await start(userId, held, { reservation })).toMatchObject({ outcome: 'started', reservedTokens: 100 });
    const pausedMessage = await insertMessage(db, paused, userId, 'awaiting_consent');
    await db.query(
      `INSERT INTO consent_requests (user_id, conversation_id, message_id, actions, status, expires_at)
       VALUES ($1, $2, $3, '[]', 'pending', now() + interval '1 hour')`,
      [userId, paused, pausedMessage],
    );
    expect(await start(userId, randomUUID(), { reservation })).toEqual({ outcome: 'not_found' });
    expect(await start(userId, paused, { reservation })).toMatchObject({ outcome: 'consent' });
    expect(await start(userId, other, { reservation, maxActive: 1 })).toEqual({ outcome: 'limit' });
    expect(await start(userId, held, { reservation })).toEqual({ outcome: 'busy' });
    await expect(start(userId, other, { reservation, models: { ...models, model: 'p:'.padEnd(300, 'x') } })).rejects.toThrow(/too long/);
    expect(await reservedTokens(userId)).toBe(100);
    // The budget had room for all of them: 9 more fit, the 10th does not.
    const more = await Promise.all(Array.from({ length: 9 }, () => insertConversation(db, userId)));
    for (const id of more) expect(await start(userId, id, { reservation })).toMatchObject({ outcome: 'started' });
    expect(await start(userId, other, { reservation })).toMatchObject({ outcome: 'budget', limit: 1000, used: 0 });
  });

  it('of concurrent starts against one budget, only as many as fit reserve and start', async () => {
    const userId = await insertUser(db);
    const ids = await Promise.all(Array.from({ length: 8 }, () => insertConversation(db, userId)));
    const outcomes = await Promise.all(ids.map((id) => start(userId, id, { reservation: { tokens: 300, defaultLimit: 1000 } })));
    expect(outcomes.filter((o) => o.outcome === 'started')).toHaveLength(3);
    expect(outcomes.filter((o) => o.outcome === 'budget')).toHaveLength(5);
    expect(await reservedTokens(userId)).toBe(900);
  });
});
