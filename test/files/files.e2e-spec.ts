import { createHash } from 'node:crypto';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Response as SuperagentResponse } from 'superagent';
import { DataSource } from 'typeorm';
import { FileSweepJob } from '../../src/modules/files/file-sweep.job';
import { StorageDriver } from '../../src/modules/files/storage/storage-driver';
import { createTestApp, TestApp } from '../helpers/app';
import { startS3, TestS3 } from '../helpers/s3-server';
import { bearer, createUser, TestUser } from '../helpers/users';
import { CSV, EXE, HTML, noise, PNG, text } from './fixtures';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const MB10 = 10_485_760;

/** Binary download with supertest: collect the raw bytes. */
const binary = (res: SuperagentResponse, done: (err: Error | null, body: Buffer) => void) => {
  const stream = res as unknown as Readable;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

async function storedKeys(app: TestApp): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of app.app.get(StorageDriver).list()) keys.push(object.key);
  return keys;
}

describe.each([
  ['local', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'files-'));
    return { env: { STORAGE_DRIVER: 'local', FILE_STORAGE_DIR: dir }, close: () => rm(dir, { recursive: true, force: true }) };
  }],
  ['s3', async (): Promise<TestS3> => startS3()],
])('Files on the %s driver', (driver, startStorage) => {
  jest.setTimeout(60_000);
  let storage: { env: Record<string, string>; close: () => Promise<void> };
  let sut: TestApp;
  let owner: TestUser;
  let other: TestUser;
  let conversationId: string;

  const newConversation = async (who: TestUser) =>
    (await sut.http().post('/api/v1/chat/conversations').set(bearer(who.accessToken)).send({}).expect(201)).body.data.id as string;
  const upload = (files: Array<[Buffer, string, string?]>, who = owner, conversation = conversationId) => {
    const req = sut.http().post(`/api/v1/chat/conversations/${conversation}/files`).set(bearer(who.accessToken));
    for (const [bytes, filename, contentType] of files) req.attach('files', bytes, { filename, contentType: contentType ?? 'application/octet-stream' });
    return req;
  };
  const download = (fileId: string, who = owner, conversation = conversationId) =>
    sut.http().get(`/api/v1/chat/conversations/${conversation}/files/${fileId}`).set(bearer(who.accessToken)).buffer(true).parse(binary);

  beforeAll(async () => {
    storage = await startStorage();
    sut = await createTestApp(storage.env);
    owner = await createUser(sut);
    other = await createUser(sut);
    conversationId = await newConversation(owner);
  });
  afterAll(async () => {
    await sut?.close();
    await storage?.close();
  });

  it('reports the storage in /api/health', async () => {
    const res = await sut.http().get('/api/health');
    expect(res.body.details.storage).toEqual({ status: 'up', driver });
  });

  it('uploads, lists, downloads identical bytes, and deletes idempotently', async () => {
    const res = await upload([[PNG, 'pixel.png', 'image/png'], [CSV, 'scores.csv', 'text/csv']]).expect(201);
    const [png, csv] = res.body.data;
    expect(png).toMatchObject({ filename: 'pixel.png', content_type: 'image/png', size: PNG.length, sha256: sha256(PNG), conversation_id: conversationId });
    expect(csv).toMatchObject({ filename: 'scores.csv', content_type: 'text/csv', size: CSV.length, sha256: sha256(CSV) });

    const list = await sut.http().get(`/api/v1/chat/conversations/${conversationId}/files`).set(bearer(owner.accessToken)).expect(200);
    expect(list.body.data.map((f: { id: string }) => f.id)).toEqual(expect.arrayContaining([png.id, csv.id]));
    expect(list.body.pagination).toMatchObject({ total: list.body.data.length });

    const pngDown = await download(png.id).expect(200);
    expect(Buffer.compare(pngDown.body, PNG)).toBe(0);
    expect(pngDown.headers['content-type']).toBe('image/png');
    expect(pngDown.headers['content-disposition']).toMatch(/^inline; filename="pixel.png"/);
    expect(pngDown.headers['x-content-type-options']).toBe('nosniff');
    const csvDown = await download(csv.id).expect(200);
    expect(Buffer.compare(csvDown.body, CSV)).toBe(0);
    expect(csvDown.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csvDown.headers['content-disposition']).toBe(`attachment; filename="scores.csv"; filename*=UTF-8''scores.csv`);

    const before = await storedKeys(sut);
    await sut.http().delete(`/api/v1/chat/conversations/${conversationId}/files/${csv.id}`).set(bearer(owner.accessToken)).expect(200);
    await sut.http().delete(`/api/v1/chat/conversations/${conversationId}/files/${csv.id}`).set(bearer(owner.accessToken)).expect(200);
    await download(csv.id).expect(404);
    expect(await storedKeys(sut)).toHaveLength(before.length - 1);
  });

  it('serves a byte range', async () => {
    const [file] = (await upload([[CSV, 'range.csv', 'text/csv']]).expect(201)).body.data;
    const res = await download(file.id).set('Range', 'bytes=5-9').expect(206);
    expect(res.headers['content-range']).toBe(`bytes 5-9/${CSV.length}`);
    expect(Buffer.compare(res.body, CSV.subarray(5, 10))).toBe(0);
  });

  it('refuses 10 MB + 1 byte with 413 and leaves nothing in storage', async () => {
    const before = await storedKeys(sut);
    const single = await upload([[text(MB10 + 1), 'big.txt', 'text/plain']]).expect(413);
    expect(single.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    // Summed over the request: the first part is stored, then removed when the second overflows.
    const summed = await upload([[text(6_000_000), 'a.txt'], [text(MB10 + 1 - 6_000_000), 'b.txt']]).expect(413);
    expect(summed.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await storedKeys(sut)).toEqual(before);
    const list = await sut.http().get(`/api/v1/chat/conversations/${conversationId}/files`).set(bearer(owner.accessToken)).expect(200);
    expect(list.body.data.map((f: { filename: string }) => f.filename)).not.toEqual(expect.arrayContaining(['a.txt']));
  });

  it('accepts exactly 10 MB summed over a request', async () => {
    const res = await upload([[text(MB10 - 1000), 'edge.txt'], [text(1000), 'edge2.txt']]);
    expect(res.body.error).toBeUndefined();
    expect(res.status).toBe(201);
    expect(res.body.data.reduce((sum: number, f: { size: number }) => sum + f.size, 0)).toBe(MB10);
  });

  it('refuses more than UPLOAD_MAX_FILES files', async () => {
    const files = Array.from({ length: 11 }, (_, i): [Buffer, string] => [text(10), `f${i}.txt`]);
    expect((await upload(files).expect(413)).body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('trusts the bytes, not the name or the declared type', async () => {
    const [disguisedPng, fakePng, html] = (
      await upload([[PNG, 'notes.txt', 'text/plain'], [text(50), 'photo.png', 'image/png'], [HTML, 'page.html', 'text/html']]).expect(201)
    ).body.data;
    expect(disguisedPng.content_type).toBe('image/png');
    expect(fakePng.content_type).toBe('text/plain');
    expect(html.content_type).toBe('text/plain');

    expect((await download(disguisedPng.id).expect(200)).headers['content-type']).toBe('image/png');
    const fake = await download(fakePng.id).expect(200);
    expect(fake.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(fake.headers['content-disposition']).toMatch(/^attachment;/);
    const page = await download(html.id).expect(200);
    expect(page.headers['content-type']).not.toMatch(/html/);
    expect(page.headers['content-disposition']).toMatch(/^attachment;/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['content-security-policy']).toContain('sandbox');
  });

  it('refuses types outside the allow-list with 415, storing nothing', async () => {
    const before = await storedKeys(sut);
    for (const [bytes, name] of [[EXE, 'setup.exe'], [noise(5000), 'blob.bin'], [EXE, 'readme.txt']] as const) {
      const res = await upload([[CSV, 'ok.csv', 'text/csv'], [bytes, name, 'text/plain']]).expect(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await storedKeys(sut)).toEqual(before);
  });

  it('sanitizes file names and sends RFC 6266 names', async () => {
    const [file] = (await upload([[CSV, '../../etc/rapport\u00e9 "x".csv', 'text/csv']]).expect(201)).body.data;
    expect(file.filename).toBe('rapport\u00e9 "x".csv');
    const res = await download(file.id).expect(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="rapport_ _x_.csv"; filename*=UTF-8''rapport%C3%A9%20%22x%22.csv`);
  });

  it('answers 404 to another user on every route (BOLA)', async () => {
    const [file] = (await upload([[CSV, 'private.csv', 'text/csv']]).expect(201)).body.data;
    const base = `/api/v1/chat/conversations/${conversationId}/files`;
    const as = bearer(other.accessToken);
    await sut.http().get(base).set(as).expect(404);
    await sut.http().get(`${base}/${file.id}`).set(as).expect(404);
    await sut.http().delete(`${base}/${file.id}`).set(as).expect(404);
    await upload([[CSV, 'intruder.csv', 'text/csv']], other).expect(404);
    // Their own conversation does not open someone else's file either.
    const theirs = await newConversation(other);
    await download(file.id, other, theirs).expect(404);
    await sut.http().delete(`/api/v1/chat/conversations/${theirs}/files/${file.id}`).set(as).expect(200);
    await download(file.id).expect(200);
  });

  it('refuses uploads over the hourly quota with 429 and removes what was sent', async () => {
    const limited = await createTestApp({ ...storage.env, UPLOAD_MAX_BYTES_PER_HOUR: '3000' });
    try {
      const user = await createUser(limited);
      const conversation = (await limited.http().post('/api/v1/chat/conversations').set(bearer(user.accessToken)).send({}).expect(201)).body.data.id;
      const send = () => limited.http().post(`/api/v1/chat/conversations/${conversation}/files`).set(bearer(user.accessToken)).attach('files', text(2000), 'a.txt');
      await send().expect(201);
      const before = await storedKeys(limited);
      const second = await send().expect(429);
      expect(second.body.error.code).toBe('QUOTA_EXCEEDED');
      expect(await storedKeys(limited)).toEqual(before);
      // Deleting files does not give the quota back.
      const [file] = (await limited.http().get(`/api/v1/chat/conversations/${conversation}/files`).set(bearer(user.accessToken))).body.data;
      await limited.http().delete(`/api/v1/chat/conversations/${conversation}/files/${file.id}`).set(bearer(user.accessToken)).expect(200);
      await send().expect(429);
    } finally {
      await limited.close();
    }
  });

  it('deletes stored files with their conversation', async () => {
    const conversation = await newConversation(owner);
    const files = (await upload([[CSV, 'a.csv'], [PNG, 'b.png']], owner, conversation).expect(201)).body.data;
    const before = await storedKeys(sut);
    await sut.http().delete(`/api/v1/chat/conversations/${conversation}`).set(bearer(owner.accessToken)).expect(200);
    expect(await storedKeys(sut)).toHaveLength(before.length - files.length);
    const [{ count }] = await sut.app.get(DataSource).query(`SELECT count(*)::int AS count FROM files WHERE conversation_id = $1`, [conversation]);
    expect(count).toBe(0);
  });

  it('sweeps objects without a row and rows without an object', async () => {
    const driverImpl = sut.app.get(StorageDriver);
    const orphanKey = `${owner.id}/orphan-${driver}`;
    await driverImpl.put(orphanKey, Readable.from([Buffer.from('orphan')]));
    const [file] = (await upload([[CSV, 'ghost.csv', 'text/csv']]).expect(201)).body.data;
    const db = sut.app.get(DataSource);
    const [{ storage_key: ghostKey }] = await db.query(`SELECT storage_key FROM files WHERE id = $1`, [file.id]);
    await driverImpl.delete(ghostKey);
    await db.query(`UPDATE files SET created_at = now() - interval '1 hour' WHERE id = $1`, [file.id]);
    if (driver === 'local') await utimes(join(storage.env.FILE_STORAGE_DIR, orphanKey), new Date(0), new Date(0));

    // s3rver stamps objects with the current time: only the local orphan can be backdated.
    const result = await sut.app.get(FileSweepJob).sweep(driver === 'local' ? undefined : 0);
    expect(result?.rows).toBeGreaterThanOrEqual(1);
    expect(await storedKeys(sut)).not.toContain(orphanKey);
    expect(await db.query(`SELECT 1 FROM files WHERE id = $1`, [file.id])).toHaveLength(0);
    await download(file.id).expect(404);
  });
});
