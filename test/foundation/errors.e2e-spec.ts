import { createTestApp, TestApp } from '../helpers/app';
import { ProbeModule } from '../helpers/probe.module';

describe('Error envelope', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp({}, [ProbeModule]);
  });
  afterAll(() => sut.close());

  it('answers an unexpected error with 500 INTERNAL_ERROR and no internals', async () => {
    const res = await sut.http().get('/api/v1/probe/crash').expect(500);
    expect(res.body).toEqual({
      status: false,
      error: { code: 'INTERNAL_ERROR', message: 'Internal server error' },
      request_id: res.headers['x-request-id'],
    });
    expect(res.text).not.toContain('secret');
    expect(res.text).not.toContain('app.ts');
  });

  it('never leaks SQL from a failed query', async () => {
    const res = await sut.http().get('/api/v1/probe/sql').expect(500);
    expect(res.body.error.code).toBe('INTERNAL_ERROR');
    expect(res.text).not.toMatch(/table_that_does_not_exist|SELECT/i);
  });

  it('answers invalid input with 422 VALIDATION_ERROR and details per field', async () => {
    const res = await sut.http().post('/api/v1/probe/validate').send({ name: 5, count: 99 }).expect(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(res.body.error.details).sort()).toEqual(['count', 'name']);
    expect(res.body.error.details.count[0]).toMatch(/10/);
  });

  it('rejects unknown properties instead of silently dropping them', async () => {
    const res = await sut.http().post('/api/v1/probe/validate').send({ name: 'a', count: 1, roles: ['admin'] }).expect(422);
    expect(res.body.error.details.roles).toBeDefined();
  });

  it('wraps a successful result in the success envelope', async () => {
    const res = await sut.http().post('/api/v1/probe/validate').send({ name: 'a', count: 2 }).expect(201);
    expect(res.body).toEqual({ status: true, data: { name: 'a', count: 2 } });
  });
});
