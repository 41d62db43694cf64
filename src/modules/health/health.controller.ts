import { Controller, Get, ServiceUnavailableException, UseFilters, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  DiskHealthIndicator,
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  MemoryHealthIndicator,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../../common/auth/public.decorator';
import { RawResponse } from '../../common/http/envelope.interceptor';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { SkipRateLimit } from '../../common/rate-limit/skip-rate-limit.decorator';
import { AppConfig } from '../../config/app-config';
import { DatabaseProbe } from './database-probe.health';
import { HealthRegistry } from './health.registry';
import { LIVE_BODY } from './live-probe';
import { EventLoopHealthIndicator } from './event-loop.health';
import { MigrationsHealthIndicator } from './migrations.health';
import { TerminusBodyFilter } from './terminus-body.filter';

const DISK_THRESHOLD = 0.95;
const BARE = { info: {}, error: {}, details: {} };

/** Terminus bodies (`{status, info, error, details}`), not the API envelope: ops tools expect them. */
@ApiTags('health')
@Public()
@SkipRateLimit()
@RawResponse()
@UseFilters(TerminusBodyFilter)
@Controller({ version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly migrations: MigrationsHealthIndicator,
    private readonly eventLoop: EventLoopHealthIndicator,
    private readonly memory: MemoryHealthIndicator,
    private readonly disk: DiskHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: HealthRegistry,
    private readonly shutdown: ShutdownService,
    private readonly config: AppConfig,
    private readonly dbProbe: DatabaseProbe,
  ) {}

  /** Everything this instance depends on, including optional parts (LLM providers, Redis). */
  @Get('health')
  @HealthCheck()
  async check() {
    if (this.config.healthDetails === 'full') return this.fullCheck();
    // HEALTH_DETAILS=none: versions, providers and dependencies stay private; the status and
    // the HTTP code (200/503) are what a load balancer needs.
    try {
      return { ...(await this.fullCheck()), ...BARE };
    } catch (error) {
      if (error instanceof ServiceUnavailableException) throw new ServiceUnavailableException({ status: 'error', ...BARE });
      throw error;
    }
  }

  private fullCheck() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 2000 }),
      () => this.migrations.check(),
      () => this.memory.checkHeap('memory_heap', this.config.healthMaxHeapMb * 1024 * 1024),
      () => this.disk.checkStorage('disk', { path: '/', thresholdPercent: DISK_THRESHOLD }),
      () => this.eventLoop.check(),
      ...this.registry.all(),
    ]);
  }

  /** The process is up and its event loop answers. Never touches a dependency. */
  @Get('live')
  @HealthCheck()
  live() {
    // `liveProbe` answers GET /api/live ahead of Nest's pipeline; this route documents it and
    // serves its variants (a trailing slash).
    return LIVE_BODY;
  }

  /** Can this instance serve traffic: database up and migrated, and not shutting down. */
  @Get('ready')
  @HealthCheck()
  ready() {
    // The background check's latest result (a few seconds old at most): the probe does no I/O.
    const probe = this.dbProbe.current();
    return this.health.check([
      () => {
        const indicator = this.indicators.check('lifecycle');
        return this.shutdown.isShuttingDown ? indicator.down({ message: 'shutting down' }) : indicator.up();
      },
      () => this.dbProbe.database(probe),
      () => this.dbProbe.migrations(probe),
    ]);
  }
}
