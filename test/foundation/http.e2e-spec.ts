import { createTestApp, TestApp } from '../helpers/app';

describe('HTTP foundation', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp();
  });
  afterAll(() => sut.close());

  it('answers an unknown route with the 404 envelope and a request id', async () => {
    const res = await sut.http().get('/api/v1/does-not-exist').expect(404);
    expect(res.body).toEqual({
      status: false,
      error: { code: 'RESOURCE_NOT_FOUND', message: expect.any(String) },
      request_id: res.headers['x-request-id'],
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a caller-supplied X-Request-Id', async () => {
    const res = await sut.http().get('/api/v1/nope').set('X-Request-Id', 'trace-abc.123').expect(404);
    expect(res.headers['x-request-id']).toBe('trace-abc.123');
    expect(res.body.request_id).toBe('trace-abc.123');
  });

  it('replaces an unsafe X-Request-Id instead of echoing it', async () => {
    const res = await sut.http().get('/api/live').set('X-Request-Id', 'bad id\twith spaces').expect(200);
    expect(res.headers['x-request-id']).not.toContain('bad');
  });

  it('answers malformed JSON with 400 BAD_REQUEST', async () => {
    const res = await sut.http().post('/api/v1/anything').set('Content-Type', 'application/json').send('{"a": ').expect(400);
    expect(res.body.status).toBe(false);
    expect(res.body.error.code).toBe('BAD_REQUEST');
    expect(res.body.request_id).toBe(res.headers['x-request-id']);
  });

  it('answers a body over 1 MB with 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(1024 * 1024 + 10) });
    const res = await sut.http().post('/api/v1/anything').set('Content-Type', 'application/json').send(big).expect(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('sets security headers (helmet) and no x-powered-by', async () => {
    const res = await sut.http().get('/api/live').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('allows CORS only for configured origins', async () => {
    const allowed = await sut.http().options('/api/live').set('Origin', 'http://localhost:5173').set('Access-Control-Request-Method', 'GET');
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const foreign = await sut.http().options('/api/live').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'GET');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const spec = await sut.http().get('/api/docs-json').expect(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(spec.body.paths['/api/health']).toBeDefined();
    // The served document is the committed one's source: shared parts applied, markers gone.
    expect(spec.body.paths['/api/v1/auth/login'].post.security).toEqual([]);
    expect(spec.body.paths['/api/v1/auth/me'].get.security).toEqual([{ bearer: [] }, { cookie: [] }]);
    expect(spec.body.paths['/api/v1/auth/me'].get.responses['401'].content['application/json'].schema.properties.request_id).toBeDefined();
    expect(JSON.stringify(spec.body)).not.toContain('"x-');
    await sut.http().get('/api/docs/').expect(200).expect('Content-Type', /html/);
  });
});
