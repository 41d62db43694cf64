import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser, TestUser } from '../helpers/users';

/** GET /chat/conversations: one query per page (see ConversationsRepository.list). */
describe('GET /chat/conversations (list, pages, totals, search)', () => {
  let sut: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  const ids: string[] = [];

  beforeAll(async () => {
    sut = await createTestApp();
    alice = await createUser(sut);
    bob = await createUser(sut);
    const db = sut.app.get(DataSource);
    // 25 conversations, conversation i updated i minutes ago (so "Chat 0" is the newest).
    for (let i = 0; i < 25; i += 1) {
      const res = await sut.http().post('/api/v1/chat/conversations').set(bearer(alice.accessToken)).send({ title: `Chat ${i}` }).expect(201);
      ids.push(res.body.data.id);
      await db.query(`UPDATE conversations SET updated_at = now() - make_interval(mins => $2) WHERE id = $1`, [res.body.data.id, i]);
    }
    // Messages on "Chat 1": count 3, preview = the newest, cut to 120 characters.
    await db.query(
      `INSERT INTO messages (conversation_id, user_id, role, content, status, created_at)
       VALUES ($1, $2, 'user', 'about 100%_done tapirs', 'complete', now() - interval '3 seconds'),
              ($1, $2, 'assistant', 'older answer', 'complete', now() - interval '2 seconds'),
              ($1, $2, 'assistant', $3, 'complete', now() - interval '1 second')`,
      [ids[1], alice.id, 'n'.repeat(200)],
    );
    // Microseconds, which the API drops (toISOString keeps milliseconds, truncated).
    await db.query(`UPDATE conversations SET created_at = '2020-01-02 03:04:05.678999+00' WHERE id = $1`, [ids[0]]);
    await sut.http().post('/api/v1/chat/conversations').set(bearer(bob.accessToken)).send({ title: 'Chat of bob' }).expect(201);
  });
  afterAll(() => sut.close());

  const list = (user: TestUser, query: Record<string, string | number> = {}) =>
    sut.http().get('/api/v1/chat/conversations').query(query).set(bearer(user.accessToken)).expect(200);

  it('answers the newest first, with counts, previews and the owner’s total only', async () => {
    const res = await list(alice);
    expect(res.body.pagination).toEqual({ total: 25, limit: 20, offset: 0, has_more: true });
    expect(res.body.data.map((c: { title: string }) => c.title)).toEqual(Array.from({ length: 20 }, (_, i) => `Chat ${i}`));
    expect(res.body.data[0]).toEqual({
      id: ids[0],
      title: 'Chat 0',
      model: null,
      replying: false,
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      message_count: 0,
      last_message_preview: null,
    });
    expect(res.body.data[1]).toMatchObject({ id: ids[1], message_count: 3, last_message_preview: 'n'.repeat(120) });
  });

  it('formats dates exactly as the single-conversation route does (UTC, milliseconds)', async () => {
    const [first, second] = (await list(alice)).body.data;
    expect(first.created_at).toBe('2020-01-02T03:04:05.678Z');
    for (const row of [first, second]) {
      const one = await sut.http().get(`/api/v1/chat/conversations/${row.id}`).set(bearer(alice.accessToken)).expect(200);
      expect({ created_at: row.created_at, updated_at: row.updated_at, replying: row.replying }).toEqual({
        created_at: one.body.data.created_at,
        updated_at: one.body.data.updated_at,
        replying: one.body.data.replying,
      });
    }
  });

  it('pages with limit and offset; a page past the end is empty but keeps the total', async () => {
    const last = await list(alice, { limit: 10, offset: 20 });
    expect(last.body.data.map((c: { title: string }) => c.title)).toEqual(['Chat 20', 'Chat 21', 'Chat 22', 'Chat 23', 'Chat 24']);
    expect(last.body.pagination).toEqual({ total: 25, limit: 10, offset: 20, has_more: false });
    const beyond = await list(alice, { offset: 100 });
    expect(beyond.body.data).toEqual([]);
    expect(beyond.body.pagination).toEqual({ total: 25, limit: 20, offset: 100, has_more: false });
    const none = await list(await createUser(sut));
    expect(none.body).toEqual({ status: true, data: [], pagination: { total: 0, limit: 20, offset: 0, has_more: false } });
  });

  it('searches titles (LIKE wildcards taken literally) and message text, counting matches only', async () => {
    const byTitle = await list(alice, { q: 'Chat 2' });
    expect(byTitle.body.data.map((c: { title: string }) => c.title)).toEqual(['Chat 2', 'Chat 20', 'Chat 21', 'Chat 22', 'Chat 23', 'Chat 24']);
    expect(byTitle.body.pagination.total).toBe(6);
    const byMessage = await list(alice, { q: 'tapirs' });
    expect(byMessage.body.data.map((c: { id: string }) => c.id)).toEqual([ids[1]]);
    expect(byMessage.body.pagination.total).toBe(1);
    expect((await list(alice, { q: 'Chat%' })).body.data).toEqual([]);
    expect((await list(bob, { q: 'tapirs' })).body.pagination.total).toBe(0);
  });
});
