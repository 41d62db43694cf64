import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { SseStream } from '../../common/http/sse';
import { AppMetrics } from './app-metrics';

/** Gauges read from their source at scrape time: open streams, the database pool (realtime registers its sockets). */
@Injectable()
export class MetricsCollectors implements OnModuleInit {
  constructor(
    private readonly metrics: AppMetrics,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    const { metrics } = this;
    metrics.gaugeFrom('http_sse_streams_active', 'Server-Sent Events responses open on this instance', () => SseStream.openCount);

    const pool = (this.dataSource.driver as unknown as { master?: Pool }).master;
    const size = (read: (p: Pool) => number) => () => (pool ? read(pool) : 0);
    metrics.gaugeFrom(
      'db_client_connection_count',
      'Database pool connections by state (used, idle)',
      (): Array<[{ state: string }, number]> => [
        [{ state: 'used' }, size((p) => p.totalCount - p.idleCount)()],
        [{ state: 'idle' }, size((p) => p.idleCount)()],
      ],
      ['state'],
    );
    metrics.gaugeFrom('db_client_connection_pending_requests', 'Queries waiting for a pool connection', size((p) => p.waitingCount));
    metrics.gaugeFrom('db_client_connection_max', 'Pool size (DATABASE_POOL_SIZE)', size((p) => p.options.max ?? 0));
  }
}
