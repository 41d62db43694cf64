import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { SseStream } from '../../common/http/sse';
import { RealtimeEmitter } from '../realtime/realtime.emitter';
import { AppMetrics } from './app-metrics';

/** Gauges read from their source at scrape time: open streams and sockets, the database pool. */
@Injectable()
export class MetricsCollectors implements OnModuleInit {
  constructor(
    private readonly metrics: AppMetrics,
    private readonly dataSource: DataSource,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    const { metrics } = this;
    metrics.gaugeFrom('http_sse_streams_active', 'Server-Sent Events responses open on this instance', () => SseStream.openCount);

    // Looked up lazily: an app without the realtime module simply reports 0.
    let emitter: RealtimeEmitter | undefined;
    metrics.gaugeFrom('socketio_connected_sockets', 'Socket.IO connections on this instance (/assistant/realtime)', () => {
      emitter ??= this.moduleRef.get(RealtimeEmitter, { strict: false });
      return emitter?.connectedSockets ?? 0;
    });

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
