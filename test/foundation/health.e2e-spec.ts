import { ShutdownService } from '../../src/common/lifecycle/shutdown.service';
import { createTestApp, TestApp } from '../helpers/app';

describe('Health', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp();
  });
  afterAll(() => sut.close());

  it('GET /api/live answers 200 without touching dependencies', async () => {
    const res = await sut.http().get('/api/live').expect(200);
    expect(res.body.status).toBe('ok');
  });

  it('GET /api/ready reports the database up and migrations applied', async () => {
    const res = await sut.http().get('/api/ready').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details.database.status).toBe('up');
    expect(res.body.details.migrations.status).toBe('up');
  });

  it('GET /api/health reports database, migrations, memory, disk and event-loop delay in the Terminus shape', async () => {
    const res = await sut.http().get('/api/health');
    expect(res.body.error).toEqual({});
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(Object.keys(res.body.details)).toEqual(expect.arrayContaining(['database', 'migrations', 'memory_heap', 'disk', 'process']));
    expect(res.body.details.process).toMatchObject({ status: 'up', event_loop_delay_ms: { p99: expect.any(Number) }, rss_mb: expect.any(Number) });
  });

  it('GET /api/ready turns 503 as soon as shutdown begins', async () => {
    const other = await createTestApp();
    try {
      await other.app.get(ShutdownService).beginShutdown();
      const res = await other.http().get('/api/ready').expect(503);
      expect(res.body.status).toBe('error');
      expect(res.body.details.lifecycle.status).toBe('down');
    } finally {
      await other.close();
    }
  });
});
