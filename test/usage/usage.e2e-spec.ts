import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { bearer, createAdmin, createUser, TestUser } from '../helpers/users';

const today = () => new Date().toISOString().slice(0, 10);

/** Retries `check` until it passes: usage of a reply is recorded just after the reply is answered. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('Usage analytics', () => {
  let llm: FakeOpenAI;
  let sut: TestApp;
  const settings = {
    OPENAI_MODELS: 'gpt-test,gpt-other',
    OPENAI_API_KEY: 'test-key',
    DEFAULT_MODEL: 'openai:gpt-test',
    USAGE_FLUSH_INTERVAL: '1s',
  };

  beforeAll(async () => {
    llm = await new FakeOpenAI().start();
    sut = await createTestApp({ ...settings, OPENAI_BASE_URL: llm.url });
  });
  afterAll(async () => {
    await sut.close();
    await llm.stop();
  });

  const usage = (user: TestUser, query = '') => sut.http().get(`/api/v1/usage${query}`).set(bearer(user.accessToken));
  const send = (user: TestUser, body: Record<string, unknown>) => sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send(body).expect(200);

  it("matches the tokens the model reported, per day and per model, and shows only the caller's own", async () => {
    const user = await createUser(sut);
    const bystander = await createUser(sut);
    // The fake model reports 11 input + 7 output = 18 tokens per call.
    llm.script({ text: 'hello' });
    await send(user, { message: 'hi' }); // 1 call to gpt-test
    llm.script({ toolCall: { name: 'calculator', args: { expression: '2+2' } } }, { text: 'It is 4' });
    await send(user, { message: 'what is 2+2?' }); // 2 calls to gpt-test (tool call, then answer)
    llm.script({ text: 'other' });
    await send(user, { message: 'hi again', model: 'openai:gpt-other' }); // 1 call to gpt-other

    const byModel = await eventually(async () => {
      const res = await usage(user, '?group_by=model').expect(200);
      expect(res.body.data.totals).toMatchObject({ input_tokens: 44, output_tokens: 28, total_tokens: 72 });
      return res.body.data;
    });
    expect(byModel.items).toEqual([
      { model: 'openai:gpt-test', input_tokens: 33, output_tokens: 21, total_tokens: 54 },
      { model: 'openai:gpt-other', input_tokens: 11, output_tokens: 7, total_tokens: 18 },
    ]);
    expect(byModel).toMatchObject({ from: expect.any(String), to: today(), group_by: 'model' });

    const byDay = (await usage(user, `?group_by=day&from=${today()}&to=${today()}`).expect(200)).body.data;
    expect(byDay.items).toEqual([{ day: today(), input_tokens: 44, output_tokens: 28, total_tokens: 72, api_calls: expect.any(Number) }]);

    const other = (await usage(bystander).expect(200)).body.data;
    expect(other.totals).toMatchObject({ input_tokens: 0, output_tokens: 0, total_tokens: 0 });
    expect(other.items.every((item: { total_tokens: number }) => item.total_tokens === 0)).toBe(true);
  });

  it('counts API calls per route template for a known sequence of requests', async () => {
    const user = await createUser(sut);
    const get = (path: string) => sut.http().get(path).set(bearer(user.accessToken));
    await get('/api/v1/auth/me').expect(200);
    await get('/api/v1/auth/me').expect(200);
    await get('/api/v1/auth/me').expect(200);
    await get('/api/v1/chat/conversations').expect(200);
    await get('/api/v1/chat/conversations').expect(200);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      ids.push((await sut.http().post('/api/v1/chat/conversations').set(bearer(user.accessToken)).send({ title: `c${i}` }).expect(201)).body.data.id);
    }
    await get(`/api/v1/chat/conversations/${ids[0]}`).expect(200);
    await get(`/api/v1/chat/conversations/${ids[1]}`).expect(200);
    await get(`/api/v1/chat/conversations/${randomUUID()}`).expect(404);
    await sut.http().get('/api/v1/auth/me').expect(401); // anonymous: nobody's usage

    const report = (await usage(user, '?group_by=route').expect(200)).body.data;
    expect(report.items).toEqual([
      { method: 'GET', route: '/auth/me', api_calls: 3 },
      { method: 'GET', route: '/chat/conversations/:id', api_calls: 3 },
      { method: 'GET', route: '/chat/conversations', api_calls: 2 },
      { method: 'POST', route: '/chat/conversations', api_calls: 2 },
      { method: 'GET', route: '/usage', api_calls: 1 },
    ]);
    expect(report.totals.api_calls).toBe(11);
    const byDay = (await usage(user).expect(200)).body.data;
    expect(byDay.items).toEqual([{ day: today(), input_tokens: 0, output_tokens: 0, total_tokens: 0, api_calls: 12 }]);
  });

  it('writes counts periodically in one batch, without anyone reading the report', async () => {
    const user = await createUser(sut);
    for (let i = 0; i < 5; i++) await sut.http().get('/api/v1/auth/me').set(bearer(user.accessToken)).expect(200);
    const rows = await eventually(async () => {
      const found = await sut.app.get(DataSource).query(`SELECT method, route, calls::int FROM api_calls_daily WHERE user_id = $1`, [user.id]);
      expect(found).toEqual([{ method: 'GET', route: '/auth/me', calls: 5 }]);
      return found;
    });
    expect(rows).toHaveLength(1);
  });

  it('writes pending counts at shutdown', async () => {
    // An hour-long interval: only the shutdown flush can write these.
    const other = await createTestApp({ ...settings, OPENAI_BASE_URL: llm.url, USAGE_FLUSH_INTERVAL: '1h' });
    const user = await createUser(other);
    for (let i = 0; i < 3; i++) await other.http().get('/api/v1/auth/me').set(bearer(user.accessToken)).expect(200);
    const before = await sut.app.get(DataSource).query(`SELECT calls::int FROM api_calls_daily WHERE user_id = $1`, [user.id]);
    expect(before).toEqual([]);
    await other.close();
    const after = await sut.app.get(DataSource).query(`SELECT route, calls::int FROM api_calls_daily WHERE user_id = $1`, [user.id]);
    expect(after).toEqual([{ route: '/auth/me', calls: 3 }]);
  });

  it('GET /admin/usage spans users, filters by user and ranks users; admins only', async () => {
    const admin = await createAdmin(sut);
    const user = await createUser(sut);
    llm.script({ text: 'hello' });
    await send(user, { message: 'hi' });
    await eventually(async () => expect((await usage(user)).body.data.totals.total_tokens).toBe(18));

    const forbidden = await sut.http().get('/api/v1/admin/usage').set(bearer(user.accessToken)).expect(403);
    expect(forbidden.body.error.code).toBe('ACCESS_DENIED');

    const one = (await sut.http().get(`/api/v1/admin/usage?user_id=${user.id}&group_by=model`).set(bearer(admin.accessToken)).expect(200)).body.data;
    expect(one.items).toEqual([{ model: 'openai:gpt-test', input_tokens: 11, output_tokens: 7, total_tokens: 18 }]);

    const everyone = (await sut.http().get('/api/v1/admin/usage').set(bearer(admin.accessToken)).expect(200)).body.data;
    expect(everyone.totals.total_tokens).toBeGreaterThanOrEqual(72 + 18);

    const ranked = (await sut.http().get('/api/v1/admin/usage?group_by=user').set(bearer(admin.accessToken)).expect(200)).body.data;
    expect(ranked.items).toContainEqual({ user_id: user.id, email: user.email, input_tokens: 11, output_tokens: 7, total_tokens: 18, api_calls: expect.any(Number) });
  });

  it('validates the range and grouping', async () => {
    const user = await createUser(sut);
    const reversed = await usage(user, '?from=2026-02-02&to=2026-02-01').expect(422);
    expect(reversed.body.error.details.from).toBeDefined();
    await usage(user, '?from=2026-02-30').expect(422);
    await usage(user, '?from=2020-01-01&to=2026-01-01').expect(422);
    expect((await usage(user, '?group_by=user').expect(422)).body.error.details.group_by).toBeDefined();
    const old = (await usage(user, '?from=2020-01-01&to=2020-01-31').expect(200)).body.data;
    expect(old).toEqual({ from: '2020-01-01', to: '2020-01-31', group_by: 'day', totals: { input_tokens: 0, output_tokens: 0, total_tokens: 0, api_calls: 0 }, items: [] });
  });
});
