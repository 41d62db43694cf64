import { DATABASE, liveness, readiness, SLOT, SLOT_COUNT } from './probe-port.worker';

describe('probe port answers', () => {
  const now = 1_000_000;
  let sut: BigInt64Array;
  const set = (values: Partial<Record<keyof typeof SLOT, bigint>>) => {
    for (const [slot, value] of Object.entries(values)) sut[SLOT[slot as keyof typeof SLOT]] = value;
  };

  beforeEach(() => {
    sut = new BigInt64Array(new SharedArrayBuffer(SLOT_COUNT * 8));
    set({ heartbeatAt: BigInt(now - 100), databaseCheckedAt: BigInt(now - 500), database: DATABASE.up });
  });

  it('is ready with a recent heartbeat and a recent, healthy database check', () => {
    expect(readiness(sut, now, 2000)).toMatchObject({ status: 200, body: { status: 'ok', error: {} } });
  });

  it('is not ready while migrations are pending, though the database is up', () => {
    set({ database: DATABASE.migrationsPending });
    const { status, body } = readiness(sut, now, 2000);
    expect(status).toBe(503);
    expect(body.info.database).toEqual({ status: 'up' });
    expect(body.error).toEqual({ migrations: { status: 'down', message: 'migrations pending' } });
  });

  it('does not trust a database result older than 3 s, nor one never taken', () => {
    set({ databaseCheckedAt: BigInt(now - 3500) });
    expect(readiness(sut, now, 2000).body.error.database).toEqual({ status: 'down', message: 'no recent database check' });
    set({ databaseCheckedAt: 0n, database: DATABASE.unknown });
    expect(readiness(sut, now, 2000).status).toBe(503);
  });

  it('fails readiness after the stall limit, liveness only after 10 s', () => {
    set({ heartbeatAt: BigInt(now - 2500) });
    expect(readiness(sut, now, 2000).body.error.event_loop).toEqual({ status: 'down', message: 'the event loop has not run for 2500 ms' });
    expect(liveness(sut, now).status).toBe(200);
    set({ heartbeatAt: BigInt(now - 10_001) });
    expect(liveness(sut, now).status).toBe(503);
  });

  it('is not ready once shutdown began', () => {
    set({ shuttingDown: 1n });
    expect(readiness(sut, now, 2000).body.error.lifecycle).toEqual({ status: 'down', message: 'shutting down' });
  });
});
