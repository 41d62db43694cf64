import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI, WebhookRecorder } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';
import { createSession, FAST_RUNS, startRun, waitForRun } from './run-helpers';

describe('Consent inside runs', () => {
  jest.setTimeout(60_000);
  let llm: FakeOpenAI;
  let webhook: WebhookRecorder;
  let first: TestApp | undefined;
  let second: TestApp;
  let user: TestUser;
  let settings: Record<string, string>;

  beforeAll(async () => {
    llm = await new FakeOpenAI().start();
    webhook = await new WebhookRecorder().start();
    settings = { ...FAST_RUNS, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'k', DEFAULT_MODEL: 'openai:gpt-test', SUBMIT_WEBHOOK_URL: webhook.url };
    first = await createTestApp(settings);
    user = await createUser(first);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await llm.stop();
    await webhook.stop();
  });

  it('pauses for a sensitive tool, releases the worker, and resumes on another instance after approval, acting once', async () => {
    llm.script({ toolCall: { name: 'submit_document', args: { title: 'Q3', content: 'numbers' } } }, { text: 'The document is submitted.' });
    const id = await startRun(first!, user, { session_id: await createSession(first!, user), task: 'Submit the Q3 report', team_id: 'general' });
    const paused = await waitForRun(first!, user, id, (run) => run.status === 'awaiting_consent');
    expect(paused.messages.at(-1)).toMatchObject({ agent: 'assistant', type: 'status', content: 'Waiting for consent: submit_document' });
    const beforePause = eventsOf((await sseRequest(first!.url, { path: `/api/v1/runs/${id}/stream`, token: user.accessToken, until: (frames) => frames.some((f) => f.event === 'run_status' && f.data.includes('awaiting_consent')) })).frames);
    const consent = beforePause.find((e) => e.event === 'consent_required')!.data.consent_request;
    expect(consent).toMatchObject({ run_id: id, conversation_id: null, status: 'pending', actions: [{ tool: 'submit_document', arguments: { title: 'Q3', content: 'numbers' } }] });
    expect(webhook.received).toHaveLength(0);

    // The instance that ran the first part goes away; the decision and the continuation happen elsewhere.
    await first!.close();
    first = undefined;
    second = await createTestApp(settings);
    const listening = sseRequest(second.url, { path: `/api/v1/runs/${id}/stream`, token: user.accessToken, headers: { 'Last-Event-ID': String(beforePause.at(-1)!.id) } });
    const decided = await second.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: consent.id, approved: true }).expect(200);
    expect(decided.body.data).toMatchObject({ consent_request_id: consent.id, status: 'approved', consent_token: expect.any(String) });

    const run = await waitForRun(second, user, id);
    expect(run.status).toBe('completed');
    expect(webhook.received).toEqual([expect.objectContaining({ title: 'Q3', content: 'numbers', conversation_id: id })]);
    expect(run.messages.filter((m: { type: string }) => m.type === 'tool_result').map((m: { content: string }) => m.content)).toEqual(['submit_document: Submitted "Q3" (HTTP 202).']);
    expect(run.team_result.summary).toBe('The document is submitted.');

    const rest = eventsOf((await listening).frames);
    expect(rest[0].id).toBe(beforePause.at(-1)!.id! + 1);
    expect(rest.map((e) => e.event)).toEqual(expect.arrayContaining(['run_status', 'results', 'agent_message', 'run_completed']));
    expect(rest.at(-1)).toMatchObject({ event: 'run_completed', data: { status: 'completed' } });

    // A second decision cannot resume (or act) again.
    await second.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: consent.id, approved: true }).expect(409);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(webhook.received).toHaveLength(1);
  });

  it('a rejection resumes the run without acting; a run awaiting consent can be cancelled', async () => {
    const app = second ?? first!;
    llm.reset();
    llm.script({ toolCall: { name: 'submit_document', args: { title: 'No', content: 'never' } } }, { text: 'Understood, not submitted.' });
    const id = await startRun(app, user, { session_id: await createSession(app, user), task: 'Submit the secret', team_id: 'general' });
    await waitForRun(app, user, id, (run) => run.status === 'awaiting_consent');
    const consents = await app.http().get('/api/v1/consents').set(bearer(user.accessToken)).expect(200);
    const pending = consents.body.data.find((c: { run_id: string; status: string }) => c.run_id === id && c.status === 'pending');
    await app.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: pending.id, approved: false, reason: 'no' }).expect(200);
    const run = await waitForRun(app, user, id);
    expect(run).toMatchObject({ status: 'completed', team_result: { summary: 'Understood, not submitted.' } });
    expect(webhook.received).toHaveLength(1);

    llm.script({ toolCall: { name: 'submit_document', args: { title: 'Later', content: 'x' } } });
    const waiting = await startRun(app, user, { session_id: await createSession(app, user), task: 'Submit later', team_id: 'general' });
    await waitForRun(app, user, waiting, (r) => r.status === 'awaiting_consent');
    await app.http().post(`/api/v1/runs/${waiting}/cancel`).set(bearer(user.accessToken)).expect(200);
    expect((await waitForRun(app, user, waiting)).status).toBe('cancelled');
  });

  it('a run awaiting consent still holds its session: the next run waits queued until it ends', async () => {
    const app = second ?? first!;
    llm.reset();
    llm.script({ toolCall: { name: 'submit_document', args: { title: 'Hold', content: 'h' } } }, { text: 'Submitted it.' }, { text: 'Next run done.' });
    const sessionId = await createSession(app, user);
    const holder = await startRun(app, user, { session_id: sessionId, task: 'Submit and hold', team_id: 'general' });
    await waitForRun(app, user, holder, (run) => run.status === 'awaiting_consent');
    const next = await startRun(app, user, { session_id: sessionId, task: 'Then this', team_id: 'general' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await waitForRun(app, user, next, () => true)).status).toBe('queued');
    const consents = await app.http().get('/api/v1/consents?status=pending').set(bearer(user.accessToken)).expect(200);
    const pending = consents.body.data.find((c: { run_id: string }) => c.run_id === holder);
    await app.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: pending.id, approved: true }).expect(200);
    const held = await waitForRun(app, user, holder);
    const after = await waitForRun(app, user, next, undefined, 45_000);
    expect([held.status, after.status]).toEqual(['completed', 'completed']);
    expect(Date.parse(after.started_at)).toBeGreaterThanOrEqual(Date.parse(held.completed_at));
  });
});
