import { DataSource } from 'typeorm';
import { UsageService } from '../../src/modules/agent/usage.service';
import { SettingsService } from '../../src/modules/settings/settings.service';
import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createAdmin, createUser, TestUser } from '../helpers/users';

describe('Settings', () => {
  let sut: TestApp;
  let user: TestUser;
  const logged: string[] = [];
  let writeSpy: jest.SpyInstance;

  beforeAll(async () => {
    // The app's JSON logs reach process.stdout (pino's destination here): keep every line.
    writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    sut = await createTestApp({ LOG_LEVEL: 'trace', WEBHOOK_ALLOW_PRIVATE: 'false', DEFAULT_MAX_TOKENS_PER_DAY: '123456' });
    user = await createUser(sut);
  });
  afterAll(async () => {
    await sut.close();
    writeSpy.mockRestore();
  });

  const put = (body: unknown, who = user) => sut.http().put('/api/v1/settings').set(bearer(who.accessToken)).send(body as object);
  const get = (who = user) => sut.http().get('/api/v1/settings').set(bearer(who.accessToken));

  it('answers defaults first, in seed 003 shape, with limits from configuration', async () => {
    const res = await get().expect(200);
    expect(res.body.data).toEqual({
      user_preferences: {},
      api_limits: { max_sessions: 100, max_runs_per_hour: 50, max_tokens_per_day: 123456 },
      integrations: {
        azure_openai: { enabled: false, endpoint: null, has_api_key: false },
        slack: { has_webhook_url: false },
        webhook: { url: null, has_secret: false },
      },
    });
  });

  it('deep-merges preferences across PUTs', async () => {
    await put({ user_preferences: { theme: 'dark', language: 'en', notifications: { email: true, push: false, run_completion: true } } }).expect(200);
    const res = await put({ user_preferences: { theme: 'light', notifications: { email: false } } }).expect(200);
    expect(res.body.message).toBe('Settings updated successfully');
    expect(res.body.data.user_preferences).toEqual({
      theme: 'light',
      language: 'en',
      notifications: { email: false, push: false, run_completion: true },
    });
    expect((await get().expect(200)).body.data.user_preferences).toEqual(res.body.data.user_preferences);
  });

  it.each([
    ['an unknown preference', { user_preferences: { colour: 'red' } }, 'user_preferences.property colour should not exist'],
    ['an unknown notification key', { user_preferences: { notifications: { sms: true } } }, 'user_preferences.notifications'],
    ['a bad theme', { user_preferences: { theme: 'neon' } }, 'user_preferences.theme'],
    ['a bad time zone', { user_preferences: { timezone: 'Mars/Olympus' } }, 'user_preferences.timezone'],
    ['a model the server does not offer', { user_preferences: { default_model: 'openai:gpt-9' } }, 'user_preferences.default_model'],
    ['api_limits', { api_limits: { max_tokens_per_day: 999999999 } }, 'api_limits'],
    ['a prototype key', JSON.parse('{"user_preferences": {"__proto__": {"theme": "dark"}}}'), '__proto__'],
    ['a constructor key', { user_preferences: { notifications: { constructor: { x: 1 } } } }, 'constructor'],
  ])('refuses %s with 422', async (_name, body, field) => {
    const res = await put(body).expect(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(res.body.error.details)).toContain(field.split('.').at(-1));
    expect((await get().expect(200)).body.data.api_limits.max_tokens_per_day).toBe(123456);
  });

  it('refuses integration URLs that are not https to a public address', async () => {
    for (const url of ['http://example.com/hook', 'https://127.0.0.1/hook', 'https://10.1.2.3/x', 'https://[::1]/x', 'https://user:pw@example.com/']) {
      const res = await put({ integrations: { webhook: { url } } }).expect(422);
      expect(res.body.error.details['integrations.webhook.url']).toBeDefined();
    }
    await put({ integrations: { webhook: { url: 'https://93.184.215.14/hook' } } }).expect(200);
  });

  it('stores secrets as ciphertext, never returns or logs them', async () => {
    const apiKey = 'sk-azure-VERY-SECRET-0123456789abcdef';
    const slackUrl = 'https://93.184.215.14/services/T000/B000/SLACKSECRETXYZ';
    const hookSecret = 'whsec-HOOK-SECRET-abcdefghijklmnop';
    const res = await put({
      integrations: {
        azure_openai: { enabled: true, endpoint: 'https://93.184.215.14/', api_key: apiKey },
        slack: { webhook_url: slackUrl },
        webhook: { url: 'https://93.184.215.14/hook', secret: hookSecret },
      },
    });
    expect(res.body.error).toBeUndefined();
    expect(res.body.data.integrations).toEqual({
      azure_openai: { enabled: true, endpoint: 'https://93.184.215.14/', has_api_key: true },
      slack: { has_webhook_url: true },
      webhook: { url: 'https://93.184.215.14/hook', has_secret: true },
    });
    const read = await get().expect(200);
    for (const secret of [apiKey, slackUrl, hookSecret]) {
      expect(JSON.stringify(res.body)).not.toContain(secret);
      expect(JSON.stringify(read.body)).not.toContain(secret);
    }

    const [row] = await sut.app.get(DataSource).query(`SELECT integrations::text AS text FROM user_settings WHERE user_id = $1`, [user.id]);
    for (const secret of [apiKey, slackUrl, hookSecret]) expect(row.text).not.toContain(secret);
    expect(row.text).toMatch(/"api_key_sealed": "v1\.[0-9a-f]{8}\./);

    expect(await sut.app.get(SettingsService).secret(user.id, 'azure_openai.api_key')).toBe(apiKey);

    // A later PUT that does not mention the secret keeps it; null removes it.
    await put({ integrations: { azure_openai: { enabled: false } } }).expect(200);
    expect((await get()).body.data.integrations.azure_openai).toEqual({ enabled: false, endpoint: 'https://93.184.215.14/', has_api_key: true });
    await put({ integrations: { slack: { webhook_url: null } } }).expect(200);
    expect((await get()).body.data.integrations.slack).toEqual({ has_webhook_url: false });

    const output = logged.join('');
    expect(output.length).toBeGreaterThan(0);
    expect(output).toContain('/api/v1/settings');
    for (const secret of [apiKey, slackUrl, hookSecret]) expect(output).not.toContain(secret);
  });

  it('lets admins set api_limits per user, enforced on the token budget', async () => {
    const admin = await createAdmin(sut);
    const other = await createUser(sut);
    const res = await sut.http().patch(`/api/v1/admin/users/${other.id}`).set(bearer(admin.accessToken)).send({ api_limits: { max_sessions: 3, max_tokens_per_day: 1 } }).expect(200);
    expect(res.body.data.api_limits).toEqual({ max_sessions: 3, max_runs_per_hour: 50, max_tokens_per_day: 1 });
    expect((await get(other)).body.data.api_limits).toEqual({ max_sessions: 3, max_runs_per_hour: 50, max_tokens_per_day: 1 });
    await sut.http().patch(`/api/v1/admin/users/${other.id}`).set(bearer(other.accessToken)).send({ api_limits: { max_sessions: 1000 } }).expect(403);

    // A reply may cost LLM_MAX_OUTPUT_TOKENS (4096) plus its prompt: under that, nothing starts.
    await sut.http().patch(`/api/v1/admin/users/${other.id}`).set(bearer(admin.accessToken)).send({ api_limits: { max_tokens_per_day: 4000 } }).expect(200);
    const refused = await sut.http().post('/api/v1/chat/message').set(bearer(other.accessToken)).send({ message: 'hello' }).expect(429);
    expect(refused.body.error.code).toBe('QUOTA_EXCEEDED');
    await sut.http().patch(`/api/v1/admin/users/${other.id}`).set(bearer(admin.accessToken)).send({ api_limits: { max_tokens_per_day: 4200 } }).expect(200);
    const reply = await sut.http().post('/api/v1/chat/message').set(bearer(other.accessToken)).send({ message: 'hello' }).expect(200);
    expect(reply.body.data.usage.total_tokens).toBeGreaterThan(0);

    await sut.http().patch(`/api/v1/admin/users/${other.id}`).set(bearer(admin.accessToken)).send({ api_limits: { max_tokens_per_day: null } }).expect(200);
    expect((await get(other)).body.data.api_limits.max_tokens_per_day).toBe(123456);
  });

  it('reserves tokens before a model call, so concurrent calls cannot overshoot the budget', async () => {
    const admin = await createAdmin(sut);
    const someone = await createUser(sut);
    await sut.http().patch(`/api/v1/admin/users/${someone.id}`).set(bearer(admin.accessToken)).send({ api_limits: { max_tokens_per_day: 8500 } }).expect(200);
    const usage = sut.app.get(UsageService);
    const results = await Promise.allSettled([usage.reserve(someone.id, 0), usage.reserve(someone.id, 0), usage.reserve(someone.id, 0)]);
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual([4096, 4096]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    // Settling returns what was not used: 10 used + 4096 still reserved leaves room for one more.
    await usage.settle(someone.id, 4096, { input_tokens: 5, output_tokens: 5, total_tokens: 10 });
    await expect(usage.reserve(someone.id, 0)).resolves.toBe(4096);
    await expect(usage.reserve(someone.id, 0)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
  });
});
