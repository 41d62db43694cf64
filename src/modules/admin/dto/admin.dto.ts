import { PaginationQueryDto } from '../../../common/http/pagination.dto';
import { Type } from 'class-transformer';
import { ArrayUnique, IsArray, IsBoolean, IsEnum, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { ApiLimitsDto } from '../../settings/dto/settings.dto';
import { UserDto } from '../../users/dto/user.dto';
import { Role } from '../../../common/auth/role';

export class ListUsersQueryDto extends PaginationQueryDto {
  /** Matches email, username or name. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class ApiLimitsPatchDto {
  @IsOptional() @ValidateIf((_, value) => value !== null) @IsInt() @Min(0) @Max(1_000_000) max_sessions?: number | null;
  @IsOptional() @ValidateIf((_, value) => value !== null) @IsInt() @Min(0) @Max(1_000_000) max_runs_per_hour?: number | null;
  @IsOptional() @ValidateIf((_, value) => value !== null) @IsInt() @Min(0) @Max(1_000_000_000) max_tokens_per_day?: number | null;
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

  /** The user's limits; a null value returns that limit to the configured default (0 = unlimited). */
  @IsOptional()
  @ValidateNested()
  @Type(() => ApiLimitsPatchDto)
  api_limits?: ApiLimitsPatchDto;
}

/** PATCH /admin/users/:id answers the user and, when they were changed, their effective limits. */
export class AdminUserDto extends UserDto {
  api_limits?: ApiLimitsDto;
}
