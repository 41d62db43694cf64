import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request } from 'express';
import { AppConfig } from '../../config/app-config';
import { routeMetadataReader } from '../http/route-metadata';
import type { AuthUser } from '../auth/auth-user';
import { AUTH_RATE_LIMIT } from './auth-rate-limit.decorator';

/** The storage key of a budget: REST and socket events of one user count under the same key. */
export function budgetKey(throttler: string, budget: 'api' | 'auth', tracker: string): string {
  return `throttle:${throttler}:${budget}:${tracker}`;
}

/** `THROTTLER_SKIP` of @nestjs/throttler (not exported from its index): `@SkipThrottle()` sets it + the throttler's name. */
const THROTTLER_SKIP = 'THROTTLER:SKIP';

export const userTracker = (userId: string) => `user:${userId}`;

/**
 * Two budgets over one throttler, so responses carry the plain X-RateLimit-* headers:
 * auth routes count per client IP (req.ip honours TRUST_PROXY), everything else per user, or
 * per IP when anonymous. Keys span all routes of a budget, not one route each.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly isAuthRoute: (context: ExecutionContext) => boolean | undefined;
  private readonly isSkipped: (context: ExecutionContext) => boolean | undefined;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
    this.isAuthRoute = routeMetadataReader<boolean>(reflector, AUTH_RATE_LIMIT);
    // One throttler ('default'): @SkipThrottle() marks it skipped (health probes, /metrics).
    this.isSkipped = routeMetadataReader<boolean>(reflector, `${THROTTLER_SKIP}default`);
  }

  /** Skipped routes and non-HTTP contexts leave before the throttler's per-request lookups. */
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(context.getType() !== 'http' || this.isSkipped(context) === true);
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    if (props.context.getType() !== 'http') return true;
    const isAuth = this.isAuthRoute(props.context);
    const budget = isAuth ? 'auth' : 'api';
    return super.handleRequest({
      ...props,
      limit: isAuth ? this.config.rateLimit.authPerMinute : this.config.rateLimit.perMinute,
      getTracker: (req: Record<string, unknown>) => {
        const request = req as unknown as Request & { user?: AuthUser };
        return !isAuth && request.user ? userTracker(request.user.id) : `ip:${request.ip ?? 'unknown'}`;
      },
      generateKey: (_context: ExecutionContext, tracker: string, name: string) => budgetKey(name, budget, tracker),
    });
  }

  /** X-RateLimit-Reset as a Unix time (seed 003), not the seconds left the throttler reports. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  protected override setResponseHeader(res: Record<string, any>, name: string, value: string | number): void {
    super.setResponseHeader(res, name, name === 'X-RateLimit-Reset' ? unixIn(Number(value)) : value);
  }

  /** A 429 carries the whole set too: Limit, Remaining 0, Reset, and Retry-After (set before). */
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const res = context.switchToHttp().getResponse<Record<string, unknown>>();
    super.setResponseHeader(res, 'X-RateLimit-Limit', detail.limit);
    super.setResponseHeader(res, 'X-RateLimit-Remaining', 0);
    super.setResponseHeader(res, 'X-RateLimit-Reset', unixIn(detail.timeToBlockExpire));
    return super.throwThrottlingException(context, detail);
  }
}

const unixIn = (seconds: number) => Math.ceil(Date.now() / 1000) + Math.max(0, Math.ceil(seconds));
