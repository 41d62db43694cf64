import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser } from '../helpers/users';

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), ENCRYPTION_KEY: 'k'.repeat(40), SMTP_URL: 'smtp://127.0.0.1:2525' };

describe('What the server exposes', () => {
  jest.setTimeout(30_000);

  describe('in production, by default', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await createTestApp(PRODUCTION);
    });
    afterAll(() => sut.close());

    it('/api/health answers the status only, no check details', async () => {
      const res = await sut.http().get('/api/health').expect(200);
      expect(res.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    });

    it('Swagger UI and the spec are off', async () => {
      for (const path of ['/api/docs', '/api/docs-json']) {
        const res = await sut.http().get(path).expect(404);
        expect(res.body.error.code).toBe('RESOURCE_NOT_FOUND');
      }
    });

    it('liveness and readiness still answer', async () => {
      await sut.http().get('/api/live').expect(200);
      await sut.http().get('/api/ready').expect(200);
    });
  });

  it('HEALTH_DETAILS=full and DOCS_ENABLED=true turn them back on in production', async () => {
    const app = await createTestApp({ ...PRODUCTION, HEALTH_DETAILS: 'full', DOCS_ENABLED: 'true' });
    try {
      const health = await app.http().get('/api/health').expect(200);
      expect(health.body.details.database).toMatchObject({ status: 'up' });
      await app.http().get('/api/docs-json').expect(200);
    } finally {
      await app.close();
    }
  });

  describe('errors (development defaults)', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await createTestApp();
    });
    afterAll(() => sut.close());

    it.each([
      ['GET', '/nope'],
      ['GET', '/metrics/x'],
      ['POST', '/'],
      ['DELETE', '/favicon.ico'],
      ['GET', '/api/nope'],
    ])('%s %s outside the routes is the JSON error envelope, never an HTML page', async (method, path) => {
      const res = await sut.http()[method.toLowerCase() as 'get'](path).expect(404);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.body).toEqual({ status: false, error: { code: 'RESOURCE_NOT_FOUND', message: expect.any(String) }, request_id: res.headers['x-request-id'] });
    });

    it('malformed percent-encoding in a query name is not a 500', async () => {
      const user = await createUser(sut);
      const res = await sut.http().get('/api/v1/chat/conversations?%=1').set(bearer(user.accessToken));
      expect(res.status).toBeLessThan(500);
    });

    it('an offset past what PostgreSQL can take is a 422, not a 500', async () => {
      const user = await createUser(sut);
      const res = await sut.http().get('/api/v1/chat/conversations?offset=1e20').set(bearer(user.accessToken)).expect(422);
      expect(res.body.error.details.offset).toBeDefined();
    });
  });
});
