import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { UserDto } from '../../users/dto/user.dto';
import { formBoolean } from '../../../common/http/form-boolean';

export class RegisterDto {
  @IsEmail()
  @MaxLength(254)
  email: string;

  /** 3-64 characters: letters, digits, `.`, `_`, `-`. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{3,64}$/, { message: 'username must be 3-64 letters, digits, dots, underscores or hyphens' })
  username: string;

  @IsString()
  @Length(8, 128)
  password: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  /** Set the tokens as HTTP-only cookies instead of returning them. */
  @IsOptional()
  @Transform(formBoolean)
  @IsBoolean()
  set_cookies?: boolean;
}

/**
 * JSON `{username | email, password}` or the OAuth2 password form
 * (`application/x-www-form-urlencoded`, `username` may be an email).
 */
export class LoginDto {
  @ValidateIf((dto: LoginDto) => dto.email === undefined)
  @IsString()
  @Length(1, 254)
  username?: string;

  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;

  @IsString()
  @Length(1, 128)
  password: string;

  @IsOptional()
  @Transform(formBoolean)
  @IsBoolean()
  set_cookies?: boolean;

  /** OAuth2 password-grant fields, accepted and ignored. */
  @IsOptional()
  @IsIn(['password'])
  grant_type?: string;

  @IsOptional()
  @IsString()
  scope?: string;

  @IsOptional()
  @IsString()
  client_id?: string;

  @IsOptional()
  @IsString()
  client_secret?: string;
}

export class RefreshDto {
  /** Omit when the refresh token is in the cookie (then X-CSRF-Token is required). */
  @IsOptional()
  @IsString()
  @Length(1, 512)
  refresh_token?: string;

  @IsOptional()
  @Transform(formBoolean)
  @IsBoolean()
  set_cookies?: boolean;
}

export class TokenResponseDto {
  /** Absent in cookie mode. */
  access_token?: string;
  /** Absent in cookie mode. */
  refresh_token?: string;
  token_type: 'bearer';
  /** Seconds until the access token expires. */
  expires_in: number;
  /** Cookie mode only: echo it in X-CSRF-Token on writes (also readable from the csrf_token cookie). */
  csrf_token?: string;
  user: UserDto;
}
