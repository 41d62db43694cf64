import { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottleRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Budget {
  /** Expiry time of each counted hit, oldest first; entries before `head` have expired. */
  hits: number[];
  head: number;
  expiresAt: number;
  blockExpiresAt: number;
  isBlocked: boolean;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * In-memory counts with the semantics of @nestjs/throttler's ThrottlerStorageService (every hit
 * expires `ttl` after it was counted; over the limit, blocked for `blockDuration`), at O(1) per
 * request: that service filters the whole array of live hits on every increment, so its cost
 * grows with the limit (at 10^8/min, one busy user's array held every request of the minute).
 * A key's hits all get the same ttl, so they expire in the order they were counted and expired
 * ones are dropped from the front.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly budgets = new Map<string, Budget>();
  private sweep?: NodeJS.Timeout;

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottleRecord> {
    return Promise.resolve(this.count(`${throttlerName}\u0000${key}`, ttl, limit, blockDuration, Date.now()));
  }

  /** Synchronous core of increment(); `now` is a parameter so tests can move the clock. */
  count(id: string, ttl: number, limit: number, blockDuration: number, now: number): ThrottleRecord {
    this.sweep ??= setInterval(() => this.evictIdle(Date.now()), SWEEP_INTERVAL_MS).unref();
    let budget = this.budgets.get(id);
    if (!budget) this.budgets.set(id, (budget = { hits: [], head: 0, expiresAt: now + ttl, blockExpiresAt: 0, isBlocked: false }));
    prune(budget, now);
    if (budget.expiresAt <= now) budget.expiresAt = now + ttl;
    const timeToExpire = secondsUntil(budget.expiresAt, now);

    if (blockDuration <= 0) {
      const isBlocked = live(budget) >= limit;
      if (!isBlocked) budget.hits.push(now + ttl);
      const timeToBlockExpire = live(budget) > 0 ? secondsUntil(budget.hits[budget.head], now) : timeToExpire;
      return { totalHits: live(budget) + (isBlocked ? 1 : 0), timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToBlockExpire : 0 };
    }

    if (!budget.isBlocked) budget.hits.push(now + ttl);
    if (live(budget) > limit && !budget.isBlocked) {
      budget.isBlocked = true;
      budget.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = secondsUntil(budget.blockExpiresAt, now);
    if (timeToBlockExpire <= 0 && budget.isBlocked) {
      budget.isBlocked = false;
      budget.hits = [now + ttl];
      budget.head = 0;
    }
    return { totalHits: live(budget), timeToExpire, isBlocked: budget.isBlocked, timeToBlockExpire };
  }

  /** Drops budgets with nothing left to remember, so idle users do not accumulate. */
  evictIdle(now: number): void {
    for (const [id, budget] of this.budgets) {
      if (budget.isBlocked && budget.blockExpiresAt > now) continue;
      if (budget.expiresAt > now) continue;
      prune(budget, now);
      if (live(budget) === 0) this.budgets.delete(id);
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweep);
    this.sweep = undefined;
    this.budgets.clear();
  }
}

const live = (budget: Budget) => budget.hits.length - budget.head;

const secondsUntil = (time: number, now: number) => Math.ceil((time - now) / 1000);

function prune(budget: Budget, now: number): void {
  const { hits } = budget;
  let head = budget.head;
  while (head < hits.length && hits[head] <= now) head++;
  // Compact once the expired front is most of the array, so it is copied O(1) times per hit.
  if (head > 64 && head * 2 > hits.length) {
    budget.hits = hits.slice(head);
    head = 0;
  }
  budget.head = head;
}
