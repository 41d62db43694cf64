import { PaginationQueryDto } from '../../../common/http/pagination.dto';
import { ArrayUnique, IsArray, IsBoolean, IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { Role } from '../../users/user.entity';

export class ListUsersQueryDto extends PaginationQueryDto {
  /** Matches email, username or name. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class UpdateUserDto {
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsEnum(Role, { each: true })
  roles?: Role[];

  /** Disabling ends the user's sessions at once (refresh tokens revoked, access tokens refused). */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
