import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';

export interface ApiLimits {
  max_sessions: number;
  max_runs_per_hour: number;
  max_tokens_per_day: number;
}

/**
 * A user's `api_limits` (0 = unlimited). Today they are the configured defaults; a Settings
 * module that stores them per user replaces this one method.
 */
@Injectable()
export class UserLimitsService {
  constructor(private readonly config: AppConfig) {}

  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- per-user limits arrive with Settings
  async limitsFor(userId: string): Promise<ApiLimits> {
    return {
      max_sessions: this.config.limits.maxSessions,
      max_runs_per_hour: this.config.limits.maxRunsPerHour,
      max_tokens_per_day: this.config.chat.maxTokensPerDay,
    };
  }
}
