import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ApiCallCounter } from './api-calls.counter';
import type { UsageGrouping, UsageReportDto } from './dto/usage.dto';
import { UsageReportRepository, UsageScope } from './usage-report.repository';

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;
const DEFAULT_DAYS = 30;

export interface UsageRequest {
  from?: string;
  to?: string;
  groupBy: UsageGrouping;
}

/** Token use (recorded per reply) and API calls (counted by ApiCallCounter) over UTC days. */
@Injectable()
export class UsageReportService {
  constructor(
    private readonly reports: UsageReportRepository,
    private readonly counter: ApiCallCounter,
  ) {}

  /** The caller's own usage. */
  forUser(userId: string, request: UsageRequest): Promise<UsageReportDto> {
    // Defensive: a missing id must never turn into the everyone-scope of the admin report.
    if (!userId) throw new Error('forUser needs a user id');
    return this.report(userId, request);
  }

  /** Everyone's usage, or one user's (admin). */
  forAdmin(userId: string | undefined, request: UsageRequest): Promise<UsageReportDto> {
    return this.report(userId ?? null, request);
  }

  private async report(userId: string | null, request: UsageRequest): Promise<UsageReportDto> {
    const scope: UsageScope = { userId, ...range(request.from, request.to) };
    // This instance's pending counts first, so a report shows the calls that led up to it.
    await this.counter.flush();
    const items = await this.items(scope, request.groupBy);
    return { from: scope.from, to: scope.to, group_by: request.groupBy, totals: await this.reports.totals(scope), items };
  }

  private items(scope: UsageScope, groupBy: UsageGrouping) {
    switch (groupBy) {
      case 'day':
        return this.reports.byDay(scope);
      case 'model':
        return this.reports.byModel(scope);
      case 'route':
        return this.reports.byRoute(scope);
      case 'user':
        return this.reports.byUser(scope);
    }
  }
}

function range(from: string | undefined, to: string | undefined): { from: string; to: string } {
  const end = to ?? new Date().toISOString().slice(0, 10);
  const start = from ?? new Date(Date.parse(end) - (DEFAULT_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);
  const days = (Date.parse(end) - Date.parse(start)) / DAY_MS + 1;
  if (days < 1) throw AppException.validation({ from: ['from must not be after to'] });
  if (days > MAX_DAYS) throw AppException.validation({ to: [`the range may span at most ${MAX_DAYS} days`] });
  return { from: start, to: end };
}
