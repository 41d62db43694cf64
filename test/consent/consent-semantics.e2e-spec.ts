import { DataSource } from 'typeorm';
import { SubmitDocumentTool } from '../../src/modules/agent/tools/submit-document.tool';
import { ConsentExpiryJob } from '../../src/modules/consent/consent-expiry.job';
import type { ConsentResumer, PausedKind } from '../../src/modules/consent/consent-hooks';
import { ConsentService } from '../../src/modules/consent/consent.service';
import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI, WebhookRecorder } from '../helpers/fake-openai';
import { connected } from '../realtime/socket-client';
import { bearer, createUser, TestUser } from '../helpers/users';

interface Paused {
  conversation_id: string;
  message_id: string;
  requires_consent: { id: string; actions: Array<{ tool: string; arguments: Record<string, unknown>; tool_call_id: string | null }> };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Consent semantics: bound tokens, argument checks, batches, resumes', () => {
  let llm: FakeOpenAI;
  let webhook: WebhookRecorder;
  let sut: TestApp;
  let user: TestUser;
  let settings: Record<string, string>;

  beforeAll(async () => {
    llm = await new FakeOpenAI().start();
    webhook = await new WebhookRecorder().start();
    settings = {
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: 'test-key',
      DEFAULT_MODEL: 'openai:gpt-test',
      SUBMIT_WEBHOOK_URL: webhook.url,
      // Lost resumes are swept by the test (never by the timer), one second after the decision.
      CONSENT_RESUME_GRACE: '1s',
      CONSENT_SWEEP_INTERVAL: '1h',
    };
    sut = await createTestApp(settings);
    user = await createUser(sut);
  });
  beforeEach(() => llm.reset());
  afterAll(async () => {
    await sut.close();
    await llm.stop();
    await webhook.stop();
  });

  const decide = (body: Record<string, unknown>, app: TestApp = sut) => app.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send(body);
  const received = (title: string) => webhook.received.filter((doc) => doc.title === title);

  async function pause(calls: Array<{ title: string; content?: string }>, app: TestApp = sut): Promise<Paused> {
    const toolCalls = calls.map(({ title, content }) => ({ name: 'submit_document', args: { title, content: content ?? 'Body' } }));
    llm.script(toolCalls.length === 1 ? { toolCall: toolCalls[0] } : { toolCalls });
    const res = await app.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: `submit ${calls.map((c) => c.title).join(', ')}` }).expect(200);
    expect(res.body.data.status).toBe('awaiting_consent');
    return res.body.data as Paused;
  }

  async function waitForStatus(conversationId: string, status: string, app: TestApp = sut): Promise<Record<string, unknown>> {
    for (let i = 0; i < 150; i += 1) {
      const res = await app.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken));
      if (res.body.data[0]?.status === status) return res.body.data[0];
      await sleep(100);
    }
    throw new Error(`conversation ${conversationId} never reached ${status}`);
  }

  const tokensOf = (requestId: string) =>
    sut.app.get(DataSource).query(`SELECT tool_call_id, used_at IS NOT NULL AS used, token_sealed IS NOT NULL AS sealed FROM consent_tokens WHERE consent_request_id = $1`, [requestId]);
  const requestRow = async (requestId: string) =>
    (await sut.app.get(DataSource).query(`SELECT status, resumed_at FROM consent_requests WHERE id = $1`, [requestId]))[0] as { status: string; resumed_at: Date | null };

  describe('the gated tool acts only with the approved call', () => {
    it('edit approved: the tool acts once, with the edited arguments, redeeming the token the decision returned', async () => {
      const paused = await pause([{ title: 'Draft' }]);
      const action = paused.requires_consent.actions[0];
      expect(action.tool_call_id).toMatch(/^call_/);
      llm.script({ text: 'Sent the edited one.' });
      const res = await decide({ consent_request_id: paused.requires_consent.id, approved: true, edited_arguments: { title: 'Edited', content: 'New body' } }).expect(200);
      expect(res.body.data).toMatchObject({
        status: 'approved',
        consent_token: expect.any(String),
        actions: [{ tool: 'submit_document', tool_call_id: action.tool_call_id, decision: 'edit', will_run: true, consent_token: res.body.data.consent_token }],
      });
      await waitForStatus(paused.conversation_id, 'complete');
      expect(received('Draft')).toEqual([]);
      expect(received('Edited')).toEqual([expect.objectContaining({ title: 'Edited', content: 'New body', user_id: user.id })]);
      expect(await tokensOf(paused.requires_consent.id)).toEqual([{ tool_call_id: action.tool_call_id, used: true, sealed: true }]);
      // The plain token is nowhere at rest: not in the consent tables, nor in the agent's checkpoints.
      const token = res.body.data.consent_token as string;
      const [{ n }] = await sut.app.get(DataSource).query(
        `SELECT (SELECT count(*) FROM consent_tokens WHERE token_hash = $1 OR token_sealed LIKE '%' || $1 || '%')
              + (SELECT count(*) FROM langgraph.checkpoints WHERE checkpoint::text LIKE '%' || $1 || '%' OR metadata::text LIKE '%' || $1 || '%')
              + (SELECT count(*) FROM langgraph.checkpoint_writes WHERE encode(blob, 'escape') LIKE '%' || $1 || '%')
              + (SELECT count(*) FROM langgraph.checkpoint_blobs WHERE encode(blob, 'escape') LIKE '%' || $1 || '%') AS n`,
        [token],
      );
      expect(Number(n)).toBe(0);
    });

    it('a call with other arguments, another call id, another token or no token does not act; the exact call acts once', async () => {
      // An instance whose resumer does nothing: the decision's token stays unspent for the test to present.
      const gate = await createTestApp(settings);
      try {
        gate.app.get(ConsentService).registerResumer('reply', async () => null);
        const paused = await pause([{ title: 'Exact', content: 'Body' }], gate);
        const decision = (await decide({ consent_request_id: paused.requires_consent.id, approved: true }, gate).expect(200)).body.data;
        const callId = paused.requires_consent.actions[0].tool_call_id!;
        const grant = { consent_request_id: paused.requires_consent.id, tool_call_id: callId, tool: 'submit_document', token: decision.consent_token as string };
        const tool = gate.app.get(SubmitDocumentTool).build();
        const call = async (args: Record<string, unknown>, id = callId, grants: unknown[] = [grant]) => {
          const message = await tool.invoke(
            { type: 'tool_call', id, name: 'submit_document', args },
            { configurable: { thread_id: paused.conversation_id, user_id: user.id, consent_grants: grants } },
          );
          return String((message as { content: unknown }).content);
        };

        expect(await call({ title: 'Exact', content: 'Other body' })).toMatch(/^Not submitted/);
        expect(await call({ title: 'Exact', content: 'Body' }, 'call_other', [{ ...grant, tool_call_id: 'call_other' }])).toMatch(/^Not submitted/);
        expect(await call({ title: 'Exact', content: 'Body' }, callId, [{ ...grant, token: 'forged-token' }])).toMatch(/^Not submitted/);
        expect(await call({ title: 'Exact', content: 'Body' }, callId, [])).toMatch(/^Not submitted/);
        expect(received('Exact')).toEqual([]);

        expect(await call({ title: 'Exact', content: 'Body' })).toMatch(/^Submitted "Exact"/);
        expect(await call({ title: 'Exact', content: 'Body' })).toMatch(/^Not submitted/);
        expect(received('Exact')).toEqual([expect.objectContaining({ title: 'Exact', content: 'Body' })]);
      } finally {
        await gate.close();
      }
    });
  });

  describe('edited arguments are checked against the tool before anything is stored', () => {
    it('422 naming each field; the request stays pending without tokens, and a valid decision still works', async () => {
      const paused = await pause([{ title: 'Checked' }]);
      const bad = await decide({ consent_request_id: paused.requires_consent.id, approved: true, edited_arguments: { title: '', content: 'x', bcc: 'someone@example.com' } }).expect(422);
      expect(bad.body.error.code).toBe('VALIDATION_ERROR');
      expect(Object.keys(bad.body.error.details).sort()).toEqual(['edited_arguments.bcc', 'edited_arguments.title']);

      const perAction = await decide({ consent_request_id: paused.requires_consent.id, decisions: [{ approved: true, edited_arguments: { title: 7 } }] }).expect(422);
      expect(Object.keys(perAction.body.error.details).sort()).toEqual(['decisions.0.edited_arguments.content', 'decisions.0.edited_arguments.title']);

      expect(await requestRow(paused.requires_consent.id)).toMatchObject({ status: 'pending' });
      expect(await tokensOf(paused.requires_consent.id)).toEqual([]);
      expect(received('Checked')).toEqual([]);

      llm.script({ text: 'Done.' });
      await decide({ consent_request_id: paused.requires_consent.id, approved: true, edited_arguments: { title: 'Checked', content: 'Fine' } }).expect(200);
      await waitForStatus(paused.conversation_id, 'complete');
      expect(received('Checked')).toEqual([expect.objectContaining({ content: 'Fine' })]);
    });
  });

  describe('batches report what will run', () => {
    it('a partial batch: nothing runs, and the response says so per action', async () => {
      const paused = await pause([{ title: 'Keep' }, { title: 'Drop' }]);
      const [keep, drop] = paused.requires_consent.actions;
      llm.script({ text: 'Not sending Drop.' });
      const res = await decide({ consent_request_id: paused.requires_consent.id, decisions: [{ approved: true }, { approved: false, reason: 'not this one' }] }).expect(200);
      expect(res.body.data).toEqual({
        consent_request_id: paused.requires_consent.id,
        status: 'partial',
        consent_token: null,
        actions: [
          { tool: 'submit_document', tool_call_id: keep.tool_call_id, decision: 'approve', will_run: false, consent_token: null },
          { tool: 'submit_document', tool_call_id: drop.tool_call_id, decision: 'reject', will_run: false, consent_token: null },
        ],
        message: expect.stringMatching(/none of the 2 actions will run/),
      });
      await waitForStatus(paused.conversation_id, 'complete');
      expect([...received('Keep'), ...received('Drop')]).toEqual([]);
      expect(await tokensOf(paused.requires_consent.id)).toEqual([]);
    });

    it('an approved batch over the socket: the ack lists each action as running, with its own token', async () => {
      const paused = await pause([{ title: 'First' }, { title: 'Second' }]);
      llm.script({ text: 'Both sent.' });
      const socket = await connected(sut.url, user.accessToken);
      try {
        const ack = await socket.emit('consent', { consent_request_id: paused.requires_consent.id, approved: true });
        expect(ack).toMatchObject({ ok: true, data: { status: 'approved', actions: [{ decision: 'approve', will_run: true }, { decision: 'approve', will_run: true }] } });
        const actions = ack.ok ? (ack.data.actions as Array<{ consent_token: string; tool_call_id: string }>) : [];
        expect(new Set(actions.map((action) => action.consent_token)).size).toBe(2);
        expect(actions.map((action) => action.tool_call_id)).toEqual(paused.requires_consent.actions.map((action) => action.tool_call_id));
      } finally {
        socket.close();
      }
      await waitForStatus(paused.conversation_id, 'complete');
      expect([...received('First'), ...received('Second')]).toHaveLength(2);
    });
  });

  describe('resumes act once and are never lost', () => {
    it('a double resume (the resumer called twice at once, and again later) acts once', async () => {
      const twice = await createTestApp(settings);
      try {
        const consents = twice.app.get(ConsentService);
        const resumers = (consents as unknown as { resumers: Map<PausedKind, ConsentResumer> }).resumers;
        const original = resumers.get('reply')!;
        const calls: Array<Parameters<ConsentResumer>> = [];
        consents.registerResumer('reply', async (...args) => {
          calls.push(args);
          const both = await Promise.allSettled([original(...args), original(...args)]);
          return both.map((result) => (result.status === 'fulfilled' ? result.value : null)).find((value) => value !== null) ?? null;
        });
        const paused = await pause([{ title: 'Twice' }], twice);
        llm.script({ text: 'Sent once.' });
        await decide({ consent_request_id: paused.requires_consent.id, approved: true }, twice).expect(200);
        const done = await waitForStatus(paused.conversation_id, 'complete', twice);
        expect(done.content).toBe('Sent once.');
        // A replay after the continuation ended: same decisions, same plain tokens.
        expect(await original(...calls[0])).toBeNull();
        await sleep(300);
        expect(received('Twice')).toHaveLength(1);
        expect((await waitForStatus(paused.conversation_id, 'complete', twice)).results).toHaveLength(1);
      } finally {
        await twice.close();
      }
    });

    it('two instances deciding at once: one decision, one POST', async () => {
      const other = await createTestApp(settings);
      try {
        const paused = await pause([{ title: 'Raced' }]);
        llm.script({ text: 'Raced.' });
        const statuses = (await Promise.all([decide({ consent_request_id: paused.requires_consent.id, approved: true }), decide({ consent_request_id: paused.requires_consent.id, approved: true }, other)]))
          .map((res) => res.status)
          .sort();
        expect(statuses).toEqual([200, 409]);
        await waitForStatus(paused.conversation_id, 'complete');
        await sleep(300);
        expect(received('Raced')).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('a decision taken while the paused reply still holds the conversation resumes as soon as it lets go, without the sweep', async () => {
      const paused = await pause([{ title: 'Quick' }]);
      const db = sut.app.get(DataSource);
      // The reply that paused has not released its claim yet (a client deciding on consent_required).
      await db.query(`UPDATE conversations SET active_reply_id = $2, reply_heartbeat_at = now() WHERE id = $1`, [paused.conversation_id, paused.message_id]);
      setTimeout(() => void db.query(`UPDATE conversations SET active_reply_id = NULL, reply_heartbeat_at = NULL WHERE id = $1`, [paused.conversation_id]), 250);
      llm.script({ text: 'Quick enough.' });
      await decide({ consent_request_id: paused.requires_consent.id, approved: true }).expect(200);
      expect((await requestRow(paused.requires_consent.id)).resumed_at).not.toBeNull();
      expect((await waitForStatus(paused.conversation_id, 'complete')).content).toBe('Quick enough.');
      expect(received('Quick')).toHaveLength(1);
    });

    it('a decision whose resume was lost (the instance died before resuming) is resumed by the sweep, once', async () => {
      const dying = await createTestApp(settings);
      let paused: Paused;
      try {
        dying.app.get(ConsentService).registerResumer('reply', async () => {
          throw new Error('the instance died before resuming');
        });
        paused = await pause([{ title: 'Lost' }], dying);
        await decide({ consent_request_id: paused.requires_consent.id, approved: true }, dying).expect(200);
      } finally {
        await dying.close();
      }
      await sleep(500);
      expect(await requestRow(paused.requires_consent.id)).toMatchObject({ status: 'approved', resumed_at: null });
      expect((await waitForStatus(paused.conversation_id, 'awaiting_consent')).status).toBe('awaiting_consent');
      expect(received('Lost')).toEqual([]);

      await sleep(1100); // CONSENT_RESUME_GRACE
      llm.script({ text: 'Found and sent.' });
      await sut.app.get(ConsentExpiryJob).sweep();
      const done = await waitForStatus(paused.conversation_id, 'complete');
      expect(done.content).toBe('Found and sent.');
      expect(received('Lost')).toEqual([expect.objectContaining({ title: 'Lost', content: 'Body' })]);
      expect((await requestRow(paused.requires_consent.id)).resumed_at).not.toBeNull();

      // Resumed: later sweeps leave it alone.
      await sleep(1100);
      await sut.app.get(ConsentExpiryJob).sweep();
      await sleep(300);
      expect(received('Lost')).toHaveLength(1);
    });
  });
});
