import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { SettingsRepository } from './settings.repository';
import { StoredApiLimits } from './user-settings.entity';

export interface ApiLimits {
  max_sessions: number;
  max_runs_per_hour: number;
  max_tokens_per_day: number;
}

/**
 * A user's effective api_limits: what an admin set for them, else the configured defaults
 * (DEFAULT_MAX_SESSIONS, DEFAULT_MAX_RUNS_PER_HOUR, DEFAULT_MAX_TOKENS_PER_DAY). 0 = unlimited.
 */
@Injectable()
export class UserLimitsService {
  constructor(
    private readonly settings: SettingsRepository,
    private readonly config: AppConfig,
  ) {}

  async effective(userId: string): Promise<ApiLimits> {
    const row = await this.settings.find(userId);
    return this.withDefaults(row?.apiLimits ?? {});
  }

  withDefaults(stored: StoredApiLimits): ApiLimits {
    const defaults = this.config.defaultApiLimits;
    return {
      max_sessions: stored.max_sessions ?? defaults.maxSessions,
      max_runs_per_hour: stored.max_runs_per_hour ?? defaults.maxRunsPerHour,
      max_tokens_per_day: stored.max_tokens_per_day ?? defaults.maxTokensPerDay,
    };
  }

  /** Admin only (PATCH /admin/users/:id): a null value returns that limit to its default. */
  async set(userId: string, patch: { [K in keyof StoredApiLimits]?: number | null }): Promise<ApiLimits> {
    const row = await this.settings.update(userId, (current) => {
      const next: StoredApiLimits = { ...current.apiLimits };
      for (const key of ['max_sessions', 'max_runs_per_hour', 'max_tokens_per_day'] as const) {
        const value = patch[key];
        if (value === null) delete next[key];
        else if (value !== undefined) next[key] = value;
      }
      return { apiLimits: next };
    });
    return this.withDefaults(row.apiLimits);
  }
}
