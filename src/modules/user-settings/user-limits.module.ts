import { Module } from '@nestjs/common';
import { SettingsRepository } from './settings.repository';
import { UserLimitsService } from './user-limits.service';

/** Kept apart from SettingsModule so the agent and admin modules can use limits without a cycle. */
@Module({
  providers: [SettingsRepository, UserLimitsService],
  exports: [SettingsRepository, UserLimitsService],
})
export class UserLimitsModule {}
