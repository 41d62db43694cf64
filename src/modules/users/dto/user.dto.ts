import { Role } from '../../../common/auth/role';
import { User } from '../user.entity';

export class UserDto {
  id: string;
  email: string;
  username: string;
  name: string | null;
  roles: Role[];
  auth_provider: string;
  disabled: boolean;
  /** Local accounts: confirmed through the mailed link; SSO accounts: verified by the identity provider. */
  email_verified: boolean;
  created_at: string;
}

export function mapUser(user: User): UserDto {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    name: user.displayName,
    roles: user.roles,
    auth_provider: user.authProvider,
    disabled: user.disabled,
    email_verified: user.emailVerified,
    created_at: user.createdAt.toISOString(),
  };
}
