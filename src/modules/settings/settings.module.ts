import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { CryptoModule } from '../../common/crypto/crypto.module';
import { AgentModule } from '../agent/agent.module';
import { SettingsController } from './settings.controller';
import { rejectPrototypeKeys } from './prototype-keys.middleware';
import { SettingsService } from './settings.service';
import { UserLimitsModule } from '../user-settings/user-limits.module';

@Module({
  imports: [UserLimitsModule, AgentModule, CryptoModule],
  controllers: [SettingsController],
  providers: [SettingsService],
  exports: [SettingsService],
})
export class SettingsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(rejectPrototypeKeys).forRoutes(SettingsController);
  }
}
