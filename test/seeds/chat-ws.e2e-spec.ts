import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser, TestUser } from '../helpers/users';
import { Frame, PlainClient, wsUrl } from './plain-ws-client';

/**
 * A seed-000 style client: Node's built-in WebSocket at /ws/chat?token=, `{type: "message"}`
 * frames in, `{type: ...}` frames out, consent decided over REST (POST /api/chat/consent).
 */
class Seed000Chat {
  readonly frames: Frame[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.onmessage = (event) => this.frames.push(JSON.parse(String(event.data)) as Frame);
  }

  static async connect(baseUrl: string, token: string): Promise<Seed000Chat> {
    const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws/chat?token=${token}`);
    const chat = new Seed000Chat(ws);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return chat;
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  async until(match: (frame: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  close(): void {
    this.ws.close();
  }
}

describe('Seed 000 plain WebSocket /ws/chat', () => {
  jest.setTimeout(60_000);
  let sut: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    sut = await createTestApp();
    alice = await createUser(sut);
  });
  afterAll(() => sut.close());

  it('chats: conversation_id, chunks and done; a follow-up stays in the conversation', async () => {
    const chat = await Seed000Chat.connect(sut.url, alice.accessToken);
    try {
      chat.send({ type: 'message', message: 'Hello there' });
      const { conversation_id } = await chat.until((f) => f.type === 'conversation_id');
      expect(conversation_id).toEqual(expect.any(String));
      const done = await chat.until((f) => f.type === 'done');
      expect(done).toMatchObject({ conversation_id, status: 'complete' });
      const chunks = chat.frames.filter((f) => f.type === 'chunk');
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.every((f) => typeof f.content === 'string')).toBe(true);

      const before = chat.frames.length;
      chat.send({ type: 'message', message: 'And again', conversation_id });
      await chat.until((f) => chat.frames.indexOf(f) >= before && f.type === 'done');
      expect(chat.frames.slice(before).every((f) => f.conversation_id === conversation_id)).toBe(true);
      const history = await sut.http().get(`/api/chat/conversations/${conversation_id}/messages`).set(bearer(alice.accessToken)).expect(200);
      expect(history.body.data.length).toBe(4);
    } finally {
      chat.close();
    }
  });

  it('pauses for consent, and the REST decision resumes the reply on the same socket', async () => {
    const chat = await Seed000Chat.connect(sut.url, alice.accessToken);
    try {
      chat.send({ type: 'message', message: 'Please submit a document titled WS report' });
      const { consent_request } = await chat.until((f) => f.type === 'consent_required');
      expect(consent_request.actions[0]).toMatchObject({ tool: 'submit_document' });
      expect(await chat.until((f) => f.type === 'done')).toMatchObject({ status: 'awaiting_consent' });

      const decided = await sut.http().post('/api/chat/consent').set(bearer(alice.accessToken)).send({ consent_request_id: consent_request.id, approved: true }).expect(200);
      // Seed 000's fields, plus `actions`: per action, whether it will run (and its own token).
      expect(decided.body.data).toEqual({
        consent_request_id: consent_request.id,
        status: 'approved',
        consent_token: expect.any(String),
        actions: [{ tool: 'submit_document', tool_call_id: expect.any(String), decision: 'approve', will_run: true, consent_token: decided.body.data.consent_token }],
        message: 'Consent approved. You may proceed with the action.',
      });
      const resumed = await chat.until((f) => f.type === 'done' && f.status === 'complete');
      expect(resumed.message_id).toBe(chat.frames.find((f) => f.type === 'consent_required')?.message_id);
      expect(chat.frames.some((f) => f.type === 'results')).toBe(true);
    } finally {
      chat.close();
    }
  });

  it('answers bad frames with {type: "error", code, error}, stays open, pongs; closes bad tokens with 1008', async () => {
    const ws = await PlainClient.open(wsUrl(sut.url, '/ws/chat', alice.accessToken));
    try {
      ws.send('[]');
      expect(await ws.next((f) => f.type === 'error')).toMatchObject({ code: 'VALIDATION_ERROR', error: expect.any(String) });
      ws.send({ type: 'message' });
      await ws.next((f) => f.type === 'error' && f.code === 'VALIDATION_ERROR' && f.details?.message);
      ws.send({ type: 'message', message: 'x', conversation_id: '00000000-0000-4000-8000-000000000000' });
      await ws.next((f) => f.type === 'error' && f.code === 'RESOURCE_NOT_FOUND');
      ws.send({ type: 'ping' });
      await ws.next((f) => f.type === 'pong');
    } finally {
      ws.close();
    }
    const bad = await PlainClient.open(wsUrl(sut.url, '/ws/chat', `${alice.accessToken}x`));
    expect(await bad.closed).toEqual({ code: 1008, reason: expect.stringMatching(/^(AUTHENTICATION_REQUIRED|TOKEN_EXPIRED)/) });
  });
});
