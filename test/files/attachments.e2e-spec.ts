import { mkdtemp, rm } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AttachmentsService } from '../../src/modules/files/attachments.service';
import { FileSharesService } from '../../src/modules/files/file-shares.service';
import { FilesService } from '../../src/modules/files/files.service';
import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';
import { connected } from '../realtime/socket-client';
import { CSV, PNG } from './fixtures';
import { pdfSlowToRead, pdfWithText } from './pdf-fixture';

/** The longest the event loop stalled while `work` ran (the app under test runs in this process). */
async function longestEventLoopStall<T>(work: () => Promise<T>): Promise<[number, T]> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    const result = await work();
    return [histogram.max / 1e6, result];
  } finally {
    histogram.disable();
  }
}

async function conversationWithFiles(sut: TestApp, user: TestUser) {
  const conversationId = (await sut.http().post('/api/v1/chat/conversations').set(bearer(user.accessToken)).send({}).expect(201)).body.data.id as string;
  const res = await sut
    .http()
    .post(`/api/v1/chat/conversations/${conversationId}/files`)
    .set(bearer(user.accessToken))
    .attach('files', PNG, { filename: 'pixel.png', contentType: 'image/png' })
    .attach('files', CSV, { filename: 'scores.csv', contentType: 'text/csv' })
    .expect(201);
  const [png, csv] = res.body.data as Array<{ id: string }>;
  return { conversationId, png: png.id, csv: csv.id };
}

describe('Attachments and file tools', () => {
  // The first PDF loads (and jest transforms) PDF.js: seconds on a busy machine.
  jest.setTimeout(30_000);
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'attachments-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  describe('through the real OpenAI client', () => {
    let llm: FakeOpenAI;
    let sut: TestApp;
    let user: TestUser;

    beforeAll(async () => {
      llm = await new FakeOpenAI().start();
      sut = await createTestApp({
        OPENAI_BASE_URL: llm.url,
        OPENAI_API_KEY: 'test-key',
        DEFAULT_MODEL: 'openai:gpt-test',
        // gpt-3.5-turbo: text-only by the built-in rules; gpt-4o: text-only by configuration.
        OPENAI_MODELS: 'gpt-3.5-turbo,gpt-4o',
        TEXT_ONLY_MODELS: 'openai:gpt-4o',
        DEMO_MODEL_ENABLED: 'true',
        FILE_STORAGE_DIR: dir,
      });
      user = await createUser(sut);
    });
    afterAll(async () => {
      await sut.close();
      await llm.stop();
    });

    it('sends an image as an image block and a CSV as text', async () => {
      const { conversationId, png, csv } = await conversationWithFiles(sut, user);
      llm.script({ text: 'I see a pixel and scores.' });
      const res = await sut
        .http()
        .post('/api/v1/chat/message')
        .set(bearer(user.accessToken))
        .send({ message: 'what is in these?', conversation_id: conversationId, attachments: [png, csv] })
        .expect(200);
      expect(res.body.data.content).toBe('I see a pixel and scores.');
      const userMessage = llm.requests.at(-1)!.messages.filter((m) => m.role === 'user').at(-1)!;
      const parts = userMessage.content as Array<{ type: string; text?: string; image_url?: { url: string } }>;
      expect(parts[0]).toEqual({ type: 'text', text: 'what is in these?' });
      expect(parts).toContainEqual({ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } });
      const csvPart = parts.find((part) => part.type === 'text' && part.text?.includes('scores.csv'));
      expect(csvPart?.text).toContain(CSV.toString());
    });

    it('refuses images for a model that cannot take them, before anything is stored or sent', async () => {
      const { conversationId, png, csv } = await conversationWithFiles(sut, user);
      const models = (await sut.http().get('/api/v1/models').set(bearer(user.accessToken)).expect(200)).body.data as Array<{ id: string; vision: boolean }>;
      expect(Object.fromEntries(models.map((model) => [model.id, model.vision]))).toEqual({
        'openai:gpt-test': true,
        'openai:gpt-3.5-turbo': false,
        'openai:gpt-4o': false,
        'demo:assistant': true,
      });
      const calls = llm.requests.length;
      for (const model of ['openai:gpt-3.5-turbo', 'openai:gpt-4o']) {
        const res = await sut
          .http()
          .post('/api/v1/chat/message')
          .set(bearer(user.accessToken))
          .send({ message: 'what is this?', conversation_id: conversationId, model, attachments: [csv, png] })
          .expect(422);
        expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: `Model "${model}" cannot take images`, details: { attachments: [expect.stringContaining('vision')] } });
      }
      expect(llm.requests.length).toBe(calls);
      const stored = await sut.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken)).expect(200);
      expect(stored.body.data).toEqual([]);

      // Text attachments still go to a text-only model.
      llm.script({ text: 'Scores read.' });
      const res = await sut
        .http()
        .post('/api/v1/chat/message')
        .set(bearer(user.accessToken))
        .send({ message: 'read these', conversation_id: conversationId, model: 'openai:gpt-3.5-turbo', attachments: [csv] })
        .expect(200);
      expect(res.body.data.content).toBe('Scores read.');
      expect(llm.requests.at(-1)!.model).toBe('gpt-3.5-turbo');
    });

    it('uses the user’s default_model when a message names none', async () => {
      const someone = await createUser(sut);
      await sut.http().put('/api/v1/settings').set(bearer(someone.accessToken)).send({ user_preferences: { default_model: 'demo:assistant' } }).expect(200);
      const calls = llm.requests.length;
      const res = await sut.http().post('/api/v1/chat/message').set(bearer(someone.accessToken)).send({ message: 'hi' }).expect(200);
      expect(res.body.data.model).toBe('demo:assistant');
      expect(llm.requests.length).toBe(calls);
      llm.script({ text: 'From OpenAI.' });
      const named = await sut.http().post('/api/v1/chat/message').set(bearer(someone.accessToken)).send({ message: 'hi', model: 'openai:gpt-test' }).expect(200);
      expect(named.body.data.model).toBe('openai:gpt-test');
    });

    it('sends a PDF’s extracted text', async () => {
      const conversationId = (await sut.http().post('/api/v1/chat/conversations').set(bearer(user.accessToken)).send({}).expect(201)).body.data.id;
      const upload = await sut
        .http()
        .post(`/api/v1/chat/conversations/${conversationId}/files`)
        .set(bearer(user.accessToken))
        .attach('files', pdfWithText('Quarterly revenue grew by 42 percent'), { filename: 'report.pdf', contentType: 'application/pdf' })
        .expect(201);
      expect(upload.body.data[0].content_type).toBe('application/pdf');
      llm.script({ text: 'Revenue grew.' });
      await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'summarize', conversation_id: conversationId, attachments: [upload.body.data[0].id] }).expect(200);
      const parts = llm.requests.at(-1)!.messages.filter((m) => m.role === 'user').at(-1)!.content as Array<{ type: string; text?: string }>;
      expect(parts.find((part) => part.text?.includes('report.pdf'))?.text).toContain('Quarterly revenue grew by 42 percent');
    });

    it('answers 404 for files that are not the user’s own in this conversation', async () => {
      const mine = await conversationWithFiles(sut, user);
      const other = await createUser(sut);
      const theirs = await conversationWithFiles(sut, other);
      const send = (body: Record<string, unknown>) => sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'look', ...body });
      const calls = llm.requests.length;
      await send({ conversation_id: mine.conversationId, attachments: [theirs.png] }).expect(404);
      const elsewhere = await conversationWithFiles(sut, user);
      await send({ conversation_id: mine.conversationId, attachments: [elsewhere.csv] }).expect(404);
      await send({ attachments: [mine.csv] }).expect(404);
      expect(llm.requests.length).toBe(calls);
    });
  });

  describe('with the demo model', () => {
    let sut: TestApp;
    let user: TestUser;

    beforeAll(async () => {
      sut = await createTestApp({ FILE_STORAGE_DIR: dir, PDF_EXTRACT_TIMEOUT_MS: '3000' });
      user = await createUser(sut);
    });
    afterAll(() => sut.close());

    const send = (body: Record<string, unknown>, who = user) => sut.http().post('/api/v1/chat/message').set(bearer(who.accessToken)).send(body);

    it('acknowledges what it received', async () => {
      const { conversationId, png, csv } = await conversationWithFiles(sut, user);
      const res = await send({ message: 'here you go', conversation_id: conversationId, attachments: [png, csv] }).expect(200);
      expect(res.body.data.content).toContain('I received 1 image(s) and 1 file(s) as text');
      expect(res.body.data.content).toContain('here you go');
    });

    it('takes attachments on the socket send_message too, and refuses another user’s', async () => {
      const { conversationId, png, csv } = await conversationWithFiles(sut, user);
      const socket = await connected(sut.url, user.accessToken);
      try {
        const ack = await socket.emit('send_message', { room_id: conversationId, message: 'socket files', attachments: [png, csv] });
        expect(ack).toMatchObject({ ok: true });
        const done = await socket.waitFor((r) => r.event === 'done');
        const messages = (await sut.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken)).expect(200)).body.data;
        expect(done.payload).toMatchObject({ status: 'complete' });
        expect(messages[0].content).toContain('I received 1 image(s) and 1 file(s) as text');
        const stranger = await conversationWithFiles(sut, await createUser(sut));
        const refused = await socket.emit('send_message', { room_id: conversationId, message: 'x', attachments: [stranger.csv] });
        expect(refused).toMatchObject({ ok: false, error: { code: 'RESOURCE_NOT_FOUND' } });
      } finally {
        socket.close();
      }
    });

    it('reads a file with read_file', async () => {
      const { conversationId, csv } = await conversationWithFiles(sut, user);
      const res = await send({ message: `read file ${csv}`, conversation_id: conversationId }).expect(200);
      expect(res.body.data.results[0]).toMatchObject({ name: 'read_file', status: 'success' });
      expect(res.body.data.results[0].content).toContain(CSV.toString());
    });

    it('gives up on a PDF that is slow to read without stalling the server, and still reads a normal one', async () => {
      const conversationId = (await sut.http().post('/api/v1/chat/conversations').set(bearer(user.accessToken)).send({}).expect(201)).body.data.id;
      const upload = await sut
        .http()
        .post(`/api/v1/chat/conversations/${conversationId}/files`)
        .set(bearer(user.accessToken))
        // ~100 KB that inflate to 60 MB of text operators: many seconds of pdf.js work.
        .attach('files', pdfSlowToRead(60), { filename: 'slow.pdf', contentType: 'application/pdf' })
        .attach('files', pdfWithText('Still readable afterwards'), { filename: 'fine.pdf', contentType: 'application/pdf' })
        .expect(201);
      const [slow, fine] = upload.body.data as Array<{ id: string }>;

      const startedAt = performance.now();
      const [stall, res] = await longestEventLoopStall(() => send({ message: `read file ${slow.id}`, conversation_id: conversationId }).expect(200));
      expect(stall).toBeLessThan(1000);
      expect(performance.now() - startedAt).toBeLessThan(15_000);
      expect(res.body.data.results[0]).toMatchObject({ name: 'read_file', content: 'The text of "slow.pdf" could not be extracted (reading it took longer than 3 s).' });

      const [attachStall, blocks] = await longestEventLoopStall(() => sut.app.get(AttachmentsService).blocksFor([slow.id], conversationId, user.id));
      expect(attachStall).toBeLessThan(1000);
      expect(blocks).toEqual([{ type: 'text', text: expect.stringMatching(/^Attached file "slow\.pdf" \(application\/pdf, \d+ bytes\): its text could not be extracted \(reading it took longer than 3 s\)\.$/) }]);

      const read = await send({ message: `read file ${fine.id}`, conversation_id: conversationId }).expect(200);
      expect(read.body.data.results[0]).toMatchObject({ name: 'read_file', status: 'success', content: expect.stringContaining('Still readable afterwards') });
    });

    it('shares a file only after consent, with a link that works without login until it expires', async () => {
      const { conversationId, csv } = await conversationWithFiles(sut, user);
      const first = await send({ message: `please share file ${csv}`, conversation_id: conversationId }).expect(200);
      expect(first.body.data).toMatchObject({ status: 'awaiting_consent', requires_consent: { status: 'pending' } });
      expect(first.body.data.requires_consent.actions).toEqual([expect.objectContaining({ tool: 'share_file', arguments: { file_id: csv } })]);
      const db = sut.app.get(DataSource);
      expect(await db.query(`SELECT 1 FROM file_shares WHERE file_id = $1`, [csv])).toHaveLength(0);

      await sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: first.body.data.requires_consent.id, approved: true }).expect(200);
      const replay = await sseRequest(sut.url, { path: `/api/v1/chat/conversations/${conversationId}/stream`, token: user.accessToken });
      expect(eventsOf(replay.frames).at(-1)).toMatchObject({ event: 'done', data: { status: 'complete' } });
      const messages = (await sut.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken)).expect(200)).body.data;
      const result = messages[0].results.find((r: { name: string }) => r.name === 'share_file');
      const url = /\/api\/v1\/files\/shared\/[\w-]{43}/.exec(result.content)?.[0];
      expect(url).toBeDefined();

      const shared = await sut.http().get(url!).buffer(true).expect(200);
      expect(shared.text).toBe(CSV.toString());
      expect(shared.headers['content-disposition']).toMatch(/^attachment;/);
      expect(shared.headers['x-content-type-options']).toBe('nosniff');
      await sut.http().get(url!).expect(200);
      await sut.http().get(`/api/v1/files/shared/${'x'.repeat(43)}`).expect(404);

      await db.query(`UPDATE file_shares SET expires_at = now() - interval '1 second' WHERE file_id = $1`, [csv]);
      const expired = await sut.http().get(url!).expect(404);
      expect(expired.body.error.code).toBe('RESOURCE_NOT_FOUND');
    });

    it('never shares another user’s file, even after approval', async () => {
      const { conversationId } = await conversationWithFiles(sut, user);
      const theirs = await conversationWithFiles(sut, await createUser(sut));
      const first = await send({ message: `share file ${theirs.csv}`, conversation_id: conversationId }).expect(200);
      await sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: first.body.data.requires_consent.id, approved: true }).expect(200);
      await sseRequest(sut.url, { path: `/api/v1/chat/conversations/${conversationId}/stream`, token: user.accessToken });
      const messages = (await sut.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken)).expect(200)).body.data;
      expect(messages[0].results.find((r: { name: string }) => r.name === 'share_file').content).toBe('Not shared: no file with that id in this conversation.');
      expect(await sut.app.get(DataSource).query(`SELECT 1 FROM file_shares WHERE file_id = $1`, [theirs.csv])).toHaveLength(0);
    });

    it('stops serving a shared link once the file is deleted', async () => {
      const { conversationId, csv } = await conversationWithFiles(sut, user);
      const file = await sut.app.get(FilesService).get(csv, conversationId, user.id);
      const link = await sut.app.get(FileSharesService).create(file, { singleUse: true });
      const path = new URL(link.url, 'http://x').pathname;
      await sut.http().get(path).expect(200);
      await sut.http().get(path).expect(404);

      const again = await sut.app.get(FileSharesService).create(file, { singleUse: false });
      await sut.http().delete(`/api/v1/chat/conversations/${conversationId}/files/${csv}`).set(bearer(user.accessToken)).expect(200);
      await sut.http().get(new URL(again.url, 'http://x').pathname).expect(404);
    });
  });
});
