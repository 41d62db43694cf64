import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentModule } from '../agent/agent.module';
import { ConsentModule } from '../consent/consent.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { UserLimitsModule } from '../user-settings/user-limits.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TeamsModule } from '../teams/teams.module';
import { QueueHealthIndicator } from './queue.health';
import { RunEvents } from './run-events';
import { RunMessage } from './run-message.entity';
import { RunMetrics } from './run-metrics';
import { RunNotifier } from './run-notifier';
import { RunOrchestrator } from './run-orchestrator';
import { RunQueue } from './run-queue';
import { RunWorker } from './run-worker';
import { Run } from './run.entity';
import { RunsController } from './runs.controller';
import { RunsRepository } from './runs.repository';
import { RunsRealtime } from './runs.realtime';
import { RunsPlainWs } from './runs.plain-ws';
import { RunsService } from './runs.service';

@Module({
  imports: [TypeOrmModule.forFeature([Run, RunMessage]), TerminusModule, AgentModule, ConsentModule, SessionsModule, TeamsModule, RealtimeModule, UserLimitsModule],
  controllers: [RunsController],
  providers: [RunsService, RunsRealtime, RunsPlainWs, QueueHealthIndicator, RunsRepository, RunQueue, RunWorker, RunOrchestrator, RunEvents, RunNotifier, RunMetrics],
  exports: [RunsService, RunQueue, RunNotifier],
})
export class RunsModule {}
