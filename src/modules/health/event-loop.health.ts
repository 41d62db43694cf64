import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { type ELDHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Event-loop delay since the previous /api/health call (ms), and process memory: what ops tune by. */
@Injectable()
export class EventLoopHealthIndicator implements OnModuleDestroy {
  private readonly histogram: ELDHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor(private readonly health: HealthIndicatorService) {
    this.histogram.enable();
  }

  onModuleDestroy(): void {
    this.histogram.disable();
  }

  check(key = 'process') {
    const toMs = (ns: number) => Math.round(ns / 1e4) / 100;
    const memory = process.memoryUsage();
    const result = this.health.check(key).up({
      event_loop_delay_ms: { p50: toMs(this.histogram.percentile(50)), p99: toMs(this.histogram.percentile(99)), max: toMs(this.histogram.max) },
      rss_mb: Math.round(memory.rss / 1048576),
      heap_used_mb: Math.round(memory.heapUsed / 1048576),
    });
    this.histogram.reset();
    return result;
  }
}
