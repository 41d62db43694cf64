import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { Roles } from '../../common/auth/roles.decorator';
import { ErrorCode } from '../../common/errors/error-code';
import { Envelope } from '../../common/http/envelope';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { ApiEnvelope, ApiErrors } from '../../common/openapi/api-docs.decorators';
import { mapUser, UserDto } from '../users/dto/user.dto';
import { Role } from '../../common/auth/role';
import { AdminService } from './admin.service';
import { AdminUserDto, ListUsersQueryDto, UpdateUserDto } from './dto/admin.dto';

@ApiTags('admin')
@ApiBearerAuth()
@Roles(Role.Admin)
@Controller('admin/users')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  /** Lists users; `q` matches email, username and name. */
  @Get()
  @ApiEnvelope([UserDto], { paginated: true })
  async list(@Query() query: ListUsersQueryDto): Promise<Envelope<UserDto[]>> {
    const [users, total] = await this.admin.listUsers({ search: query.q, limit: query.limit, offset: query.offset });
    return Envelope.paginated(users.map(mapUser), total, query.limit, query.offset);
  }

  /** Changes a user's roles or API limits, or disables the account (which ends their sessions). */
  @Patch(':id')
  @ApiErrors(ErrorCode.Conflict)
  async update(
    @CurrentUser() actor: AuthUser,
    @Param('id', ParseIdPipe('User')) id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<AdminUserDto> {
    const { user, apiLimits } = await this.admin.updateUser(actor.id, id, dto);
    return apiLimits ? { ...mapUser(user), api_limits: apiLimits } : mapUser(user);
  }
}
