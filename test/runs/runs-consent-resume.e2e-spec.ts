import { DataSource } from 'typeorm';
import { ConsentExpiryJob } from '../../src/modules/consent/consent-expiry.job';
import type { ConsentResumer, PausedKind } from '../../src/modules/consent/consent-hooks';
import { ConsentService } from '../../src/modules/consent/consent.service';
import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI, WebhookRecorder } from '../helpers/fake-openai';
import { bearer, createUser, TestUser } from '../helpers/users';
import { createSession, FAST_RUNS, startRun, waitForRun } from './run-helpers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Consent inside runs: lost and replayed resumes', () => {
  jest.setTimeout(60_000);
  let llm: FakeOpenAI;
  let webhook: WebhookRecorder;
  let sut: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    llm = await new FakeOpenAI().start();
    webhook = await new WebhookRecorder().start();
    sut = await createTestApp({
      ...FAST_RUNS,
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: 'k',
      DEFAULT_MODEL: 'openai:gpt-test',
      SUBMIT_WEBHOOK_URL: webhook.url,
      CONSENT_RESUME_GRACE: '1s',
      CONSENT_SWEEP_INTERVAL: '1h',
    });
    user = await createUser(sut);
  });
  afterAll(async () => {
    await sut.close();
    await llm.stop();
    await webhook.stop();
  });

  it('a decision whose run resume was lost is resumed by the sweep; the tool acts once with the decision’s token, and a replay does nothing', async () => {
    const consents = sut.app.get(ConsentService);
    const resumers = (consents as unknown as { resumers: Map<PausedKind, ConsentResumer> }).resumers;
    const original = resumers.get('run')!;
    // The deciding instance dies between storing the decision and queueing the continuation.
    consents.registerResumer('run', async () => {
      throw new Error('the instance died before resuming');
    });

    llm.script({ toolCall: { name: 'submit_document', args: { title: 'Swept', content: 'numbers' } } }, { text: 'Submitted after all.' });
    const id = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Submit the report', team_id: 'general' });
    await waitForRun(sut, user, id, (run) => run.status === 'awaiting_consent');
    const [request] = await sut.app.get(DataSource).query(`SELECT id FROM consent_requests WHERE run_id = $1`, [id]);
    const decided = await sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: request.id, approved: true }).expect(200);
    expect(decided.body.data.actions).toEqual([expect.objectContaining({ tool: 'submit_document', will_run: true, consent_token: expect.any(String) })]);
    const token = decided.body.data.consent_token as string;

    await sleep(1200);
    expect((await waitForRun(sut, user, id, () => true)).status).toBe('awaiting_consent');
    expect(webhook.received).toEqual([]);

    consents.registerResumer('run', original);
    await sut.app.get(ConsentExpiryJob).sweep();
    const run = await waitForRun(sut, user, id);
    expect(run.status).toBe('completed');
    expect(webhook.received).toEqual([expect.objectContaining({ title: 'Swept', content: 'numbers', conversation_id: id })]);
    // The continuation job named the request; the plain token never sat in pg-boss's job table.
    const jobs = await sut.app.get(DataSource).query(`SELECT data FROM ${FAST_RUNS.RUN_QUEUE_SCHEMA}.job WHERE data->>'run_id' = $1`, [id]);
    expect(jobs.map((job: { data: { consent_request_id?: string } }) => job.data.consent_request_id)).toContain(request.id);
    expect(JSON.stringify(jobs)).not.toContain(token);

    // Replays of the resume (same decisions) find the run no longer awaiting consent.
    const stored = await consents.get(request.id, user.id);
    await original(stored, stored.decisions!, await consents.grantsFor(request.id, user.id));
    await sleep(1500);
    expect((await waitForRun(sut, user, id, () => true)).status).toBe('completed');
    expect(webhook.received).toHaveLength(1);
    expect(await consents.grantsFor(request.id, user.id)).toEqual([]);
  });
});
