import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseProbe } from './database-probe.health';
import { EventLoopHealthIndicator } from './event-loop.health';
import { HealthController } from './health.controller';
import { HealthRegistry } from './health.registry';
import { MigrationsHealthIndicator } from './migrations.health';
import { ProbePort } from './probe-port';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [DatabaseProbe, HealthRegistry, MigrationsHealthIndicator, EventLoopHealthIndicator, ProbePort],
  exports: [HealthRegistry],
})
export class HealthModule {}
