import { Injectable } from '@nestjs/common';
import type { HealthIndicatorFunction } from '@nestjs/terminus';

/**
 * Feature modules add their own indicators to GET /api/health (LLM providers, queue, Redis)
 * by registering them here in `onModuleInit`. Readiness never uses these.
 */
@Injectable()
export class HealthRegistry {
  private readonly indicators: HealthIndicatorFunction[] = [];

  register(indicator: HealthIndicatorFunction): void {
    this.indicators.push(indicator);
  }

  all(): HealthIndicatorFunction[] {
    return [...this.indicators];
  }
}
