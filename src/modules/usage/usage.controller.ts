import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { Roles } from '../../common/auth/roles.decorator';
import { Role } from '../../common/auth/role';
import { AdminUsageQueryDto, UsageQueryDto, UsageReportDto } from './dto/usage.dto';
import { UsageReportService } from './usage-report.service';

@ApiTags('usage')
@ApiBearerAuth()
@Controller('usage')
export class UsageController {
  constructor(private readonly usage: UsageReportService) {}

  /** The caller's token use (per day or model) and API calls (per day or route) over UTC days. */
  @Get()
  get(@CurrentUser() user: AuthUser, @Query() query: UsageQueryDto): Promise<UsageReportDto> {
    return this.usage.forUser(user.id, { from: query.from, to: query.to, groupBy: query.group_by });
  }
}

@ApiTags('admin')
@ApiBearerAuth()
@Roles(Role.Admin)
@Controller('admin/usage')
export class AdminUsageController {
  constructor(private readonly usage: UsageReportService) {}

  /** Usage across all users (or one, with `user_id`); `group_by=user` ranks users. */
  @Get()
  get(@Query() query: AdminUsageQueryDto): Promise<UsageReportDto> {
    return this.usage.forAdmin(query.user_id, { from: query.from, to: query.to, groupBy: query.group_by });
  }
}
