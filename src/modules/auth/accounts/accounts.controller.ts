import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CurrentUser } from '../../../common/auth/current-user.decorator';
import { Public } from '../../../common/auth/public.decorator';
import { ErrorCode } from '../../../common/errors/error-code';
import { Envelope } from '../../../common/http/envelope';
import { ApiEnvelope, ApiErrors } from '../../../common/openapi/api-docs.decorators';
import { AuthRateLimit } from '../../../common/rate-limit/auth-rate-limit.decorator';
import { AccountsService } from './accounts.service';
import { EmailVerifiedDto, ForgotPasswordDto, ResetPasswordDto, VerifyEmailDto } from './dto/accounts.dto';

@ApiTags('auth')
@Controller('auth')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  /** Confirms the account's email with the token from the verification mail (single use, expires). */
  @Public()
  @AuthRateLimit()
  @Post('verify-email')
  @HttpCode(200)
  @ApiEnvelope(EmailVerifiedDto, { message: true })
  @ApiErrors(ErrorCode.BadRequest)
  async verifyEmail(@Body() dto: VerifyEmailDto): Promise<Envelope<EmailVerifiedDto>> {
    await this.accounts.verifyEmail(dto.token);
    return Envelope.withMessage({ email_verified: true }, 'Email address verified');
  }

  /** Sends a new verification mail (earlier links stop working); a few per hour. */
  @AuthRateLimit()
  @Post('verify-email/resend')
  @HttpCode(202)
  @ApiBearerAuth()
  @ApiEnvelope(null, { message: true })
  @ApiErrors(ErrorCode.Conflict, ErrorCode.BadRequest)
  async resendVerification(@CurrentUser() user: AuthUser): Promise<Envelope<null>> {
    await this.accounts.resendVerification(user.id);
    return Envelope.withMessage(null, 'Verification mail sent');
  }

  /**
   * Mails a password-reset link if a local account has this address. Always 202 with the same
   * body, whether or not it does.
   */
  @Public()
  @AuthRateLimit()
  @Post('password/forgot')
  @HttpCode(202)
  @ApiEnvelope(null, { message: true })
  async forgotPassword(@Body() dto: ForgotPasswordDto): Promise<Envelope<null>> {
    await this.accounts.forgotPassword(dto.email);
    return Envelope.withMessage(null, 'If an account with a password uses this address, a reset link is on its way');
  }

  /** Sets a new password with the token from the reset mail, and signs the account out everywhere. */
  @Public()
  @AuthRateLimit()
  @Post('password/reset')
  @HttpCode(200)
  @ApiEnvelope(null, { message: true })
  @ApiErrors(ErrorCode.BadRequest)
  async resetPassword(@Body() dto: ResetPasswordDto): Promise<Envelope<null>> {
    await this.accounts.resetPassword(dto.token, dto.new_password);
    return Envelope.withMessage(null, 'Password changed; sign in with the new password');
  }
}
