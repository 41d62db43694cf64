import request from 'supertest';
import { startServer } from '../../src/server';
import { testConfig, testDatabaseUrl } from '../helpers/app';
import { ProbeModule } from '../helpers/probe.module';

describe('Graceful shutdown', () => {
  it('lets an in-flight request finish, then stops accepting connections', async () => {
    const sut = await startServer(testConfig({ DATABASE_URL: testDatabaseUrl(), API_PORT: '0', API_HOST: '127.0.0.1' }), [ProbeModule]);
    const inFlight = request(sut.url).get('/api/v1/probe/slow?ms=800');
    const pending = inFlight.then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 100));

    await sut.stop();
    const res = await pending;

    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ waited: 800, db: 1 });
    await expect(request(sut.url).get('/api/live')).rejects.toThrow(/ECONNREFUSED/);
  });
});
