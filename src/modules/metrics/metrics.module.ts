import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { AppMetrics } from './app-metrics';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsCollectors } from './metrics.collectors';
import { MetricsController } from './metrics.controller';

/** GET /metrics and the instruments other modules record into (inject AppMetrics). */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [AppMetrics, MetricsCollectors],
  exports: [AppMetrics],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
