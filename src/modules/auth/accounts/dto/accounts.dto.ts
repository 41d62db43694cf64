import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

export class VerifyEmailDto {
  /** The token from the verification mail's link. */
  @IsString()
  @Length(1, 200)
  token: string;
}

export class ForgotPasswordDto {
  @IsEmail()
  @MaxLength(254)
  email: string;
}

export class ResetPasswordDto {
  /** The token from the reset mail's link. */
  @IsString()
  @Length(1, 200)
  token: string;

  /** The same rules as at registration. */
  @IsString()
  @Length(8, 128)
  new_password: string;
}

export class EmailVerifiedDto {
  email_verified: boolean;
}
