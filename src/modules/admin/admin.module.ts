import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { UserLimitsModule } from '../user-settings/user-limits.module';
import { AdminController } from './admin.controller';
import { AdminService } from './admin.service';

@Module({
  imports: [UsersModule, AuthModule, UserLimitsModule],
  controllers: [AdminController],
  providers: [AdminService],
})
export class AdminModule {}
