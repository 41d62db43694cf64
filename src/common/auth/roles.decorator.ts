import { SetMetadata } from '@nestjs/common';
import type { Role } from '../../modules/users/user.entity';

export const ROLES = 'roles';

/** The caller needs one of these roles (checked by RolesGuard after authentication). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);
