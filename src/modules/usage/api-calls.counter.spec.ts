import { ApiCallCounter } from './api-calls.counter';
import type { ApiCallCount } from './api-calls.repository';

describe(ApiCallCounter.name, () => {
  it('counts per UTC day, switching at midnight (and back, if the clock is set back)', () => {
    // Nothing is flushed here: the repository and config are not used by count().
    const counter = new ApiCallCounter(undefined as never, undefined as never);
    const at = (iso: string) => Date.parse(iso);
    counter.count('u1', 'GET', '/chat/conversations', at('2026-11-30T00:00:00.000Z'));
    counter.count('u1', 'GET', '/chat/conversations', at('2026-11-30T23:59:59.999Z'));
    counter.count('u1', 'GET', '/chat/conversations', at('2026-12-01T00:00:00.000Z'));
    counter.count('u1', 'GET', '/chat/conversations', at('2026-11-30T12:00:00.000Z'));
    counter.count('u1', 'POST', '/chat/conversations', at('2026-12-01T08:00:00.000Z'));
    const pending = [...(counter as unknown as { pending: Map<string, ApiCallCount> }).pending.values()];
    expect(pending).toEqual([
      { userId: 'u1', day: '2026-11-30', method: 'GET', route: '/chat/conversations', calls: 3 },
      { userId: 'u1', day: '2026-12-01', method: 'GET', route: '/chat/conversations', calls: 1 },
      { userId: 'u1', day: '2026-12-01', method: 'POST', route: '/chat/conversations', calls: 1 },
    ]);
  });
});
