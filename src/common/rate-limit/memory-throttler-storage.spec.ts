import { ThrottlerStorageService } from '@nestjs/throttler';
import { MemoryThrottlerStorage } from './memory-throttler-storage';

describe(MemoryThrottlerStorage.name, () => {
  let ours: MemoryThrottlerStorage;
  let theirs: ThrottlerStorageService;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_800_000_000_000 });
    ours = new MemoryThrottlerStorage();
    theirs = new ThrottlerStorageService();
  });

  afterEach(() => {
    ours.onApplicationShutdown();
    theirs.onApplicationShutdown();
    jest.useRealTimers();
  });

  /** Same calls, same clock: every answer must equal the library storage's. */
  async function compare(steps: Array<{ advanceMs: number; key: string }>, ttl: number, limit: number, blockDuration: number): Promise<void> {
    for (const [i, step] of steps.entries()) {
      jest.setSystemTime(Date.now() + step.advanceMs);
      const expected = await theirs.increment(step.key, ttl, limit, blockDuration, 'default');
      const actual = await ours.increment(step.key, ttl, limit, blockDuration, 'default');
      expect({ i, ...actual }).toEqual({ i, ...expected });
    }
  }

  /** A deterministic pseudo-random walk: bursts, pauses past the window, two keys. */
  function walk(length: number, seed: number): Array<{ advanceMs: number; key: string }> {
    let state = seed;
    const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    return Array.from({ length }, () => {
      const r = next();
      return { advanceMs: r < 0.6 ? Math.floor(next() * 300) : r < 0.9 ? Math.floor(next() * 4_000) : Math.floor(next() * 15_000), key: next() < 0.8 ? 'a' : 'b' };
    });
  }

  it('answers like ThrottlerStorageService when over the limit blocks for a while', async () => {
    await compare(walk(3_000, 7), 10_000, 5, 10_000);
    await compare(walk(3_000, 11), 10_000, 20, 3_000);
  });

  it('answers like ThrottlerStorageService without a block duration', async () => {
    await compare(walk(3_000, 13), 10_000, 5, 0);
  });

  it('forgets expired hits, and idle budgets at the sweep', async () => {
    for (let i = 0; i < 10_000; i++) await ours.increment('busy', 60_000, 100_000_000, 60_000, 'default');
    expect((await ours.increment('busy', 60_000, 100_000_000, 60_000, 'default')).totalHits).toBe(10_001);
    jest.setSystemTime(Date.now() + 60_001);
    expect((await ours.increment('busy', 60_000, 100_000_000, 60_000, 'default')).totalHits).toBe(1);

    const budgets = (ours as unknown as { budgets: Map<string, unknown> }).budgets;
    jest.setSystemTime(Date.now() + 60_001);
    ours.evictIdle(Date.now());
    expect(budgets.size).toBe(0);
  });
});
