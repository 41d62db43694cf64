import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthUser } from '../../../common/auth/auth-user';
import { ROLES } from '../../../common/auth/roles.decorator';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { routeMetadataReader } from '../../../common/http/route-metadata';
import type { Role } from '../../../common/auth/role';

@Injectable()
export class RolesGuard implements CanActivate {
  private readonly requiredRoles: (context: ExecutionContext) => Role[] | undefined;

  constructor(reflector: Reflector) {
    this.requiredRoles = routeMetadataReader<Role[]>(reflector, ROLES);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const required = this.requiredRoles(context);
    if (!required?.length) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user && required.some((role) => user.roles.includes(role))) return true;
    throw new AppException(ErrorCode.AccessDenied, 'You do not have permission to do this');
  }
}
