import { createHmac, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { UsersRepository } from '../../src/modules/users/users.repository';
import { createTestApp, TestApp } from '../helpers/app';
import { WebhookRecorder } from '../helpers/fake-openai';
import { startTestSmtp, TestSmtp, type ReceivedMail } from '../helpers/smtp';
import { bearer, createUser, TestUser } from '../helpers/users';
import { createSession, FAST_RUNS, startRun, waitForRun } from '../runs/run-helpers';
import { Receiver, type ReceivedCall } from './receiver';

const SECRET = 'whsec-0123456789abcdef0123456789';

/** Checks `X-Signature: t=<unix>,v1=<hex>` the way a receiver would: HMAC-SHA256 of "t.body", recent t. */
function verifySignature(call: ReceivedCall, secret = SECRET): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(call.headers['x-signature']));
  if (!match) return false;
  if (Math.abs(Date.now() / 1000 - Number(match[1])) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${call.raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

const linkFrom = (text: string, label: 'Approve' | 'Reject') => {
  const match = new RegExp(`${label}: (\\S+)`).exec(text);
  if (!match) throw new Error(`no ${label} link in: ${text}`);
  return match[1];
};
/** The path and query of an emailed link, to call on the test server. */
const pathOf = (link: string) => {
  const url = new URL(link);
  return url.pathname + url.search;
};

describe('Notifications', () => {
  jest.setTimeout(90_000);
  let smtp: TestSmtp;
  let webhook: Receiver;
  let slack: Receiver;
  let documents: WebhookRecorder;
  let sut: TestApp;
  let short: TestApp;
  let user: TestUser;

  async function subscribe(app: TestApp, who: TestUser, preferences: Record<string, unknown>): Promise<void> {
    await app.app.get(UsersRepository).update(who.id, { emailVerified: true });
    await app
      .http()
      .put('/api/v1/settings')
      .set(bearer(who.accessToken))
      .send({ user_preferences: { notifications: preferences }, integrations: { webhook: { url: webhook.url, secret: SECRET }, slack: { webhook_url: slack.url } } })
      .expect(200);
  }

  async function askConsent(app: TestApp, who: TestUser, title: string) {
    const res = await app.http().post('/api/v1/chat/message').set(bearer(who.accessToken)).send({ message: `Please submit a document titled ${title}` }).expect(200);
    expect(res.body.data).toMatchObject({ status: 'awaiting_consent', requires_consent: { status: 'pending' } });
    return { conversationId: res.body.data.conversation_id as string, consentId: res.body.data.requires_consent.id as string };
  }

  const deliveries = (app: TestApp, subjectId: string): Promise<Array<{ kind: string; channel: string; status: string; attempts: number; last_error: string | null }>> =>
    app.app.get(DataSource).query(`SELECT kind, channel, status, attempts, last_error FROM notification_deliveries WHERE subject_id = $1 ORDER BY kind, channel`, [subjectId]);

  const mailFor = (who: TestUser, subject: RegExp, contains?: string) => (mail: ReceivedMail) =>
    mail.to.includes(who.email.toLowerCase()) && subject.test(mail.subject) && (!contains || mail.text.includes(contains));

  beforeAll(async () => {
    smtp = await startTestSmtp();
    webhook = await new Receiver().start('/hook');
    slack = await new Receiver().start('/services/T000/B000/XXXX');
    documents = await new WebhookRecorder().start();
    const common = { ...FAST_RUNS, SMTP_URL: smtp.url, WEBHOOK_ALLOW_PRIVATE: 'true', SUBMIT_WEBHOOK_URL: documents.url, NOTIFY_RETRY_DELAY: '1', NOTIFY_RETRY_LIMIT: '3' };
    sut = await createTestApp(common);
    // Consent requests here live 14 s, with a reminder 7 s before the end.
    short = await createTestApp({ ...common, CONSENT_TTL: '14s', CONSENT_REMINDER_BEFORE: '7s', CONSENT_SWEEP_INTERVAL: '1s' });
    user = await createUser(sut);
    await subscribe(sut, user, { consent_requests: ['email', 'webhook', 'slack'], run_completion: true });
  });

  afterAll(async () => {
    await sut?.close();
    await short?.close();
    await smtp.close();
    await webhook.stop();
    await slack.stop();
    await documents.stop();
  });

  it('a consent request is mailed and sent to the signed webhook and Slack, each with approve and reject links', async () => {
    const { consentId } = await askConsent(sut, user, 'Signed report');
    const mail = await smtp.waitFor(mailFor(user, /^Approval needed: submit_document$/, 'Signed report'), 15_000);
    expect(mail.text).toContain('The agent is waiting for your decision on this action:');
    expect(linkFrom(mail.text, 'Approve')).toMatch(new RegExp(`^${sut.config.notifications.linkBaseUrl}/api/v1/consents/${consentId}/decide\\?token=[\\w-]{43}$`));

    const call = await webhook.waitFor((c) => (c.body.data as { consent_request?: { id: string } })?.consent_request?.id === consentId);
    expect(verifySignature(call)).toBe(true);
    expect(verifySignature(call, 'another-secret-0123456789')).toBe(false);
    expect(verifySignature({ ...call, raw: call.raw.replace('submit_document', 'submit_documenT') })).toBe(false);
    expect(call.body).toMatchObject({ id: expect.any(String), type: 'consent_request', data: { consent_request: { id: consentId, status: 'pending' } } });
    const data = call.body.data as { approve_url: string; reject_url: string };
    expect(data.approve_url).not.toBe(linkFrom(mail.text, 'Approve'));
    expect(data.reject_url).toContain(`/consents/${consentId}/decide?token=`);

    const slackCall = await slack.waitFor((c) => String(c.body.text).includes(`/consents/${consentId}/decide?token=`));
    expect(slackCall.body.text).toMatch(/^\*Approval needed: submit_document\*\n/);
    expect(slackCall.headers['x-signature']).toBeUndefined();

    await waitForDeliveries(sut, consentId, (rows) => rows.filter((row) => row.kind === 'consent_request').every((row) => row.status === 'sent'));
    const rows = await deliveries(sut, consentId);
    expect(rows.filter((row) => row.kind === 'consent_request')).toEqual([
      { kind: 'consent_request', channel: 'email', status: 'sent', attempts: 1, last_error: null },
      { kind: 'consent_request', channel: 'slack', status: 'sent', attempts: 1, last_error: null },
      { kind: 'consent_request', channel: 'webhook', status: 'sent', attempts: 1, last_error: null },
    ]);
    // The reminder waits for its time (48 h requests: 6 h before the end).
    expect(rows.filter((row) => row.kind === 'consent_reminder').map((row) => row.status)).toEqual(['queued', 'queued', 'queued']);
  });

  it('the emailed approve link shows a confirmation, approves exactly once, and the agent resumes', async () => {
    const { conversationId, consentId } = await askConsent(sut, user, 'Link report');
    const mail = await smtp.waitFor(mailFor(user, /^Approval needed/, 'Link report'), 15_000);
    const approve = pathOf(linkFrom(mail.text, 'Approve'));

    // GET only shows what would be decided.
    const page = await sut.http().get(approve).set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.text).toContain('Approve this action?');
    expect(page.text).toContain('<form method="post" action="decide?token=');
    expect(page.text).toContain('Link report');
    const view = await sut.http().get(approve).expect(200);
    expect(view.headers['cache-control']).toBe('no-store');
    expect(view.body.data).toMatchObject({ consent_request_id: consentId, decision: 'approve', status: 'pending', actions: [{ tool: 'submit_document' }] });
    const stillPending = await sut.http().get(`/api/v1/consents/${consentId}`).set(bearer(user.accessToken)).expect(200);
    expect(stillPending.body.data.status).toBe('pending');

    // The page's form POST (a browser: HTML back) decides.
    const decided = await sut.http().post(approve).set('Accept', 'text/html,application/xhtml+xml').type('form').send('').expect(200);
    expect(decided.text).toContain('<h1>Approved</h1>');
    expect(decided.headers['cache-control']).toBe('no-store');

    const consent = await sut.http().get(`/api/v1/consents/${consentId}`).set(bearer(user.accessToken)).expect(200);
    expect(consent.body.data).toMatchObject({ status: 'approved', decided_by: user.id });
    const reply = await waitForReply(sut, user, conversationId);
    expect(reply.status).toBe('complete');
    expect(documents.received.filter((doc) => doc.title === 'Link report')).toHaveLength(1);

    // A second click: "already decided", as a page and as an envelope; the tool did not act again.
    const again = await sut.http().post(approve).set('Accept', 'text/html').type('form').send('').expect(409);
    expect(again.text).toContain('Already decided');
    const envelope = await sut.http().post(approve).expect(409);
    expect(envelope.body).toMatchObject({ status: false, error: { code: 'CONFLICT', message: 'This consent request was already decided: approved' } });
    expect((await sut.http().get(approve).set('Accept', 'text/html').expect(409)).text).toContain('already decided: approved');
    expect((await sut.http().get(approve).expect(409)).body.error).toEqual({ code: 'CONFLICT', message: 'This consent request was already decided: approved' });
    // The reject link of the same mail cannot undo it.
    const reject = await sut.http().post(pathOf(linkFrom(mail.text, 'Reject'))).expect(409);
    expect(reject.body.error.code).toBe('CONFLICT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(documents.received.filter((doc) => doc.title === 'Link report')).toHaveLength(1);
  });

  it('a tampered link, or a link used on another request (another user\'s), is refused and decides nothing', async () => {
    const other = await createUser(sut);
    const theirs = await askConsent(sut, other, 'Their report');
    const mine = await askConsent(sut, user, 'My report');
    const mail = await smtp.waitFor(mailFor(user, /^Approval needed/, 'My report'), 15_000);
    const approve = new URL(linkFrom(mail.text, 'Approve'));
    const token = approve.searchParams.get('token')!;

    const tampered = `${approve.pathname}?token=${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect((await sut.http().post(tampered).expect(404)).body).toMatchObject({ status: false, error: { code: 'RESOURCE_NOT_FOUND' } });
    expect((await sut.http().get(tampered).set('Accept', 'text/html').expect(404)).text).toContain('This link is not valid');
    expect((await sut.http().get(tampered).expect(404)).body.error.code).toBe('RESOURCE_NOT_FOUND');
    await sut.http().post(`${approve.pathname}`).expect(404);
    await sut.http().post(`/api/v1/consents/not-a-uuid/decide?token=${token}`).expect(404);

    const foreign = `/api/v1/consents/${theirs.consentId}/decide?token=${token}`;
    expect((await sut.http().post(foreign).expect(404)).body.error.code).toBe('RESOURCE_NOT_FOUND');
    await sut.http().get(foreign).expect(404);

    const [theirState, myState] = await Promise.all([
      sut.http().get(`/api/v1/consents/${theirs.consentId}`).set(bearer(other.accessToken)).expect(200),
      sut.http().get(`/api/v1/consents/${mine.consentId}`).set(bearer(user.accessToken)).expect(200),
    ]);
    expect([theirState.body.data.status, myState.body.data.status]).toEqual(['pending', 'pending']);

    // The untouched reject link still works (JSON client): the agent resumes without acting.
    const rejected = await sut.http().post(pathOf(linkFrom(mail.text, 'Reject'))).expect(200);
    expect(rejected.body).toEqual({ status: true, data: { consent_request_id: mine.consentId, status: 'rejected', message: expect.any(String) } });
    expect((await waitForReply(sut, user, mine.conversationId)).status).toBe('complete');
    expect(documents.received.filter((doc) => doc.title === 'My report')).toHaveLength(0);
    // The other user has no channels: nothing was sent for their request.
    expect(await deliveries(sut, theirs.consentId)).toEqual([]);
  });

  it('a reminder goes out before expiry unless decided, then the expiry is told and the agent goes on', async () => {
    const person = await createUser(short);
    await subscribe(short, person, { consent_requests: ['email', 'webhook'] });
    const decidedEarly = await askConsent(short, person, 'Early report');
    const unanswered = await askConsent(short, person, 'Late report');
    // Decided after its notification went out (one decided before that is simply not announced).
    await waitForDeliveries(short, decidedEarly.consentId, (rows) => rows.filter((row) => row.kind === 'consent_request').every((row) => row.status === 'sent'));
    await short.http().post('/api/v1/chat/consent').set(bearer(person.accessToken)).send({ consent_request_id: decidedEarly.consentId, approved: false }).expect(200);

    const reminder = await smtp.waitFor(mailFor(person, /^Reminder: approval needed for submit_document$/, 'Late report'), 20_000);
    const approveLink = linkFrom(reminder.text, 'Approve');
    await webhook.waitFor((c) => c.body.type === 'consent_reminder' && (c.body.data as { consent_request: { id: string } }).consent_request.id === unanswered.consentId);

    const expired = await smtp.waitFor(mailFor(person, /^Consent request expired: submit_document$/, 'Late report'), 25_000);
    expect(expired.text).toContain('Nobody decided in time');
    expect(expired.text).not.toContain('token=');
    const expiredCall = await webhook.waitFor((c) => c.body.type === 'consent_expired' && (c.body.data as { consent_request: { id: string } }).consent_request.id === unanswered.consentId);
    expect(verifySignature(expiredCall)).toBe(true);
    expect(expiredCall.body.data).toMatchObject({ consent_request: { status: 'expired' } });
    expect((await waitForReply(short, person, unanswered.conversationId)).status).toBe('complete');
    // The reminder's link no longer decides anything.
    expect((await short.http().post(pathOf(approveLink)).expect(409)).body.error.message).toBe('This consent request was already decided: expired');

    // The early decision's reminder was skipped, not sent.
    await waitForDeliveries(short, decidedEarly.consentId, (rows) => rows.every((row) => row.status !== 'queued'));
    expect((await deliveries(short, decidedEarly.consentId)).map((row) => [row.kind, row.channel, row.status])).toEqual([
      ['consent_reminder', 'email', 'skipped'],
      ['consent_reminder', 'webhook', 'skipped'],
      ['consent_request', 'email', 'sent'],
      ['consent_request', 'webhook', 'sent'],
    ]);
    expect(smtp.received.filter(mailFor(person, /^Reminder/, 'Early report'))).toHaveLength(0);
  });

  it('a finished run is told through the same channels; a failing webhook is retried with backoff and recorded', async () => {
    webhook.failNext = 1;
    const runId = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Say hello to the team', team_id: 'general' });
    expect((await waitForRun(sut, user, runId, undefined, 45_000)).status).toBe('completed');
    const mail = await smtp.waitFor(mailFor(user, /^Run completed: Say hello to the team$/), 20_000);
    expect(mail.text).toContain('Status: completed');
    const call = await webhook.waitFor((c) => c.body.type === 'run_completed' && (c.body.data as { run: { run_id: string } }).run.run_id === runId, 30_000);
    expect(verifySignature(call)).toBe(true);
    expect(call.body.data).toMatchObject({ run: { run_id: runId, status: 'completed', task: 'Say hello to the team' } });
    await waitForDeliveries(sut, runId, (rows) => rows.every((row) => row.status === 'sent'));
    expect(await deliveries(sut, runId)).toEqual([
      { kind: 'run_completed', channel: 'email', status: 'sent', attempts: 1, last_error: null },
      { kind: 'run_completed', channel: 'slack', status: 'sent', attempts: 1, last_error: null },
      { kind: 'run_completed', channel: 'webhook', status: 'sent', attempts: 2, last_error: null },
    ]);
  });

  it('a run paused for consent resumes after its webhook\'s approve link, and acts once', async () => {
    const runId = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Please submit a document titled Run report', team_id: 'general' });
    await waitForRun(sut, user, runId, (run) => run.status === 'awaiting_consent', 45_000);
    const call = await webhook.waitFor((c) => c.body.type === 'consent_request' && (c.body.data as { consent_request: { run_id: string } }).consent_request.run_id === runId);
    expect(verifySignature(call)).toBe(true);
    const approve = pathOf((call.body.data as { approve_url: string }).approve_url);
    expect((await sut.http().post(approve).expect(200)).body.data).toMatchObject({ status: 'approved' });
    expect((await waitForRun(sut, user, runId, undefined, 45_000)).status).toBe('completed');
    expect(documents.received.filter((doc) => doc.title === 'Run report')).toHaveLength(1);
    await sut.http().post(approve).expect(409);
  });

  it('a delivery that cannot succeed fails once, recorded, without holding up the agent', async () => {
    const person = await createUser(sut);
    // Not verified, and a webhook without a secret: nothing to retry.
    await sut.http().put('/api/v1/settings').set(bearer(person.accessToken)).send({ user_preferences: { notifications: { consent_requests: ['email', 'webhook'] } }, integrations: { webhook: { url: webhook.url } } }).expect(200);
    const { consentId, conversationId } = await askConsent(sut, person, 'Quiet report');
    await waitForDeliveries(sut, consentId, (rows) => rows.filter((row) => row.kind === 'consent_request').every((row) => row.status === 'failed'));
    expect((await deliveries(sut, consentId)).filter((row) => row.kind === 'consent_request')).toEqual([
      { kind: 'consent_request', channel: 'email', status: 'failed', attempts: 1, last_error: 'the email address is not verified' },
      { kind: 'consent_request', channel: 'webhook', status: 'failed', attempts: 1, last_error: 'no webhook secret is set: the receiver could not verify the call' },
    ]);
    await sut.http().post('/api/v1/chat/consent').set(bearer(person.accessToken)).send({ consent_request_id: consentId, approved: true }).expect(200);
    expect((await waitForReply(sut, person, conversationId)).status).toBe('complete');
  });

  async function waitForDeliveries(app: TestApp, subjectId: string, done: (rows: Awaited<ReturnType<typeof deliveries>>) => boolean, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await deliveries(app, subjectId);
      if (rows.length > 0 && done(rows)) return rows;
      if (Date.now() > deadline) throw new Error(`deliveries still ${JSON.stringify(rows)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});

/** The conversation's last assistant message once it is no longer streaming or waiting. */
async function waitForReply(app: TestApp, who: TestUser, conversationId: string, timeoutMs = 20_000): Promise<{ status: string; content: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.http().get(`/api/v1/chat/conversations/${conversationId}`).set(bearer(who.accessToken)).expect(200);
    const last = (res.body.data.messages as Array<{ role: string; status: string; content: string }>).filter((m) => m.role === 'assistant').at(-1);
    if (last && !['streaming', 'awaiting_consent'].includes(last.status)) return last;
    if (Date.now() > deadline) throw new Error(`reply still ${last?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
