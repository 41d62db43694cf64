import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { Role } from './role';
import { ErrorCode } from '../errors/error-code';
import { ApiErrors } from '../openapi/api-docs.decorators';

export const ROLES = 'roles';

/** The caller needs one of these roles (checked by RolesGuard after authentication): else 403. */
export const Roles = (...roles: Role[]) => applyDecorators(SetMetadata(ROLES, roles), ApiErrors(ErrorCode.AccessDenied));
