import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { HttpExceptionFilter } from './common/errors/http-exception.filter';
import { EnvelopeInterceptor } from './common/http/envelope.interceptor';
import { createValidationPipe } from './common/http/validation';
import { WorkerRoleMiddleware } from './common/http/worker-role.middleware';
import { LifecycleModule } from './common/lifecycle/lifecycle.module';
import { LoggingModule } from './common/logging/logging.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { RateLimitGuard } from './common/rate-limit/rate-limit.guard';
import { RateLimitModule } from './common/rate-limit/rate-limit.module';
import { AdminModule } from './modules/admin/admin.module';
import { AgentModule } from './modules/agent/agent.module';
import { AuthModule } from './modules/auth/auth.module';
import { ChatModule } from './modules/chat/chat.module';
import { ConsentModule } from './modules/consent/consent.module';
import { JwtAuthGuard } from './modules/auth/guards/jwt-auth.guard';
import { RolesGuard } from './modules/auth/guards/roles.guard';
import { HealthModule } from './modules/health/health.module';
import { IdempotencyModule } from './modules/idempotency/idempotency.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { RealtimeModule } from './modules/realtime/realtime.module';
import { RunsModule } from './modules/runs/runs.module';
import { SessionsModule } from './modules/sessions/sessions.module';
import { TeamsModule } from './modules/teams/teams.module';
import { UsageModule } from './modules/usage/usage.module';
import { SettingsModule } from './modules/settings/settings.module';
import { FilesModule } from './modules/files/files.module';
import { NotificationsModule } from './modules/notifications/notifications.module';

export interface AppModuleOptions {
  config: AppConfig;
  /** DATABASE_URL, or the embedded server's URL when it is unset. */
  databaseUrl: string;
  /** Extra modules, for tests that need probe routes. */
  imports?: ModuleImport[];
}

type ModuleImport = NonNullable<DynamicModule['imports']>[number];

@Module({})
export class AppModule implements NestModule {
  constructor(private readonly config: AppConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    // Only worker instances refuse routes: API instances do not pay a middleware per request for it.
    if (this.config.role === 'worker') consumer.apply(WorkerRoleMiddleware).forRoutes('{*path}');
  }

  static forRoot({ config, databaseUrl, imports = [] }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        LifecycleModule,
        MetricsModule,
        IdempotencyModule,
        DatabaseModule.forRoot(databaseUrl),
        RateLimitModule,
        HealthModule,
        AuthModule,
        AdminModule,
        AgentModule,
        ConsentModule,
        ChatModule,
        RealtimeModule,
        SessionsModule,
        TeamsModule,
        RunsModule,
        UsageModule,
        SettingsModule,
        FilesModule,
        NotificationsModule,
        ...imports,
      ],
      providers: [
        // Order matters: who the caller is, what they may do, then how often (per user).
        { provide: APP_GUARD, useExisting: JwtAuthGuard },
        { provide: APP_GUARD, useExisting: RolesGuard },
        { provide: APP_GUARD, useExisting: RateLimitGuard },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
