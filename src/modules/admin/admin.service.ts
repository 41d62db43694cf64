import { Injectable, Logger } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { RefreshTokensRepository } from '../auth/refresh-tokens.repository';
import { Role } from '../../common/auth/role';
import { User } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { UpdateUserDto } from './dto/admin.dto';
import { ApiLimits, UserLimitsService } from '../user-settings/user-limits.service';

@Injectable()
export class AdminService {
  private readonly logger = new Logger(AdminService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly limits: UserLimitsService,
  ) {}

  listUsers(query: { search?: string; limit: number; offset: number }): Promise<[User[], number]> {
    return this.users.list(query);
  }

  async updateUser(actorId: string, userId: string, patch: UpdateUserDto): Promise<{ user: User; apiLimits?: ApiLimits }> {
    if (actorId === userId && (patch.disabled === true || (patch.roles && !patch.roles.includes(Role.Admin)))) {
      throw new AppException(ErrorCode.Conflict, 'Admins cannot disable themselves or remove their own admin role');
    }
    const roles = patch.roles && (patch.roles.includes(Role.User) ? patch.roles : [Role.User, ...patch.roles]);
    const updated = await this.users.update(userId, { roles, disabled: patch.disabled });
    if (!updated) throw AppException.notFound('User');
    if (patch.disabled) await this.refreshTokens.revokeAllForUser(userId);
    const apiLimits = patch.api_limits ? await this.limits.set(userId, patch.api_limits) : undefined;
    this.logger.log({ actor_id: actorId, user_id: userId, roles: patch.roles, disabled: patch.disabled, api_limits: patch.api_limits }, 'User updated by admin');
    return { user: updated, apiLimits };
  }
}
