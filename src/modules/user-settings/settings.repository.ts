import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { StoredApiLimits, StoredIntegrations, StoredPreferences, UserSettings } from './user-settings.entity';

/** user_settings: one row per user, created on first write. */
@Injectable()
export class SettingsRepository {
  constructor(private readonly dataSource: DataSource) {}

  find(userId: string): Promise<UserSettings | null> {
    return this.dataSource.getRepository(UserSettings).findOne({ where: { userId } });
  }

  /**
   * Runs `change` on the row locked FOR UPDATE (created if missing), so two concurrent PUTs
   * merge one after the other instead of the second erasing the first.
   */
  async update(
    userId: string,
    change: (current: UserSettings) => Partial<Pick<UserSettings, 'preferences' | 'apiLimits' | 'integrations'>>,
  ): Promise<UserSettings> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO user_settings (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING`, [userId]);
      const repo = manager.getRepository(UserSettings);
      const current = await repo.findOneOrFail({ where: { userId }, lock: { mode: 'pessimistic_write' } });
      const next = { ...current, ...change(current) };
      await repo.update({ userId }, { preferences: next.preferences, apiLimits: next.apiLimits, integrations: next.integrations });
      return repo.findOneOrFail({ where: { userId } });
    });
  }
}

export type { StoredApiLimits, StoredIntegrations, StoredPreferences };
