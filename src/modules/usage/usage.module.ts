import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ApiCallCounter } from './api-calls.counter';
import { ApiCallsInterceptor } from './api-calls.interceptor';
import { ApiCallsRepository } from './api-calls.repository';
import { UsageReportRepository } from './usage-report.repository';
import { UsageReportService } from './usage-report.service';
import { AdminUsageController, UsageController } from './usage.controller';

/** Usage analytics (seed 002): GET /usage, GET /admin/usage, and the API-call counting behind them. */
@Module({
  controllers: [UsageController, AdminUsageController],
  providers: [
    ApiCallsRepository,
    ApiCallCounter,
    UsageReportRepository,
    UsageReportService,
    { provide: APP_INTERCEPTOR, useClass: ApiCallsInterceptor },
  ],
  exports: [ApiCallCounter],
})
export class UsageModule {}
