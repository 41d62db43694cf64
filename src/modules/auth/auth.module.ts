import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeyedRateLimiter } from '../../common/rate-limit/keyed-rate-limiter';
import { MailModule } from '../mail/mail.module';
import { UsersModule } from '../users/users.module';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { EmailToken } from './accounts/email-token.entity';
import { EmailTokensRepository } from './accounts/email-tokens.repository';
import { AccessTokenVerifier } from './access-token.verifier';
import { AuthCookies } from './auth-cookies';
import { AuthResponses } from './auth-responses';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { PasswordsService } from './passwords.service';
import { RefreshFamily } from './refresh-family.entity';
import { RefreshToken } from './refresh-token.entity';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SessionChecks } from './session-checks';
import { TokensService } from './tokens.service';
import { AuthCode } from './sso/auth-code.entity';
import { AuthState } from './sso/auth-state.entity';
import { AzureTokenVerifier } from './sso/azure-tokens';
import { OidcCallbackGuard } from './sso/oidc-callback.guard';
import { OidcCallbackStrategy } from './sso/oidc-callback.strategy';
import { OidcClients } from './sso/oidc-clients';
import { SsoController } from './sso/sso.controller';
import { SsoRepository } from './sso/sso.repository';
import { SsoService } from './sso/sso.service';

@Module({
  imports: [
    UsersModule,
    MailModule,
    PassportModule,
    JwtModule.register({}),
    TypeOrmModule.forFeature([RefreshToken, RefreshFamily, AuthState, AuthCode, EmailToken]),
  ],
  controllers: [AuthController, SsoController, AccountsController],
  providers: [
    AuthService,
    AuthCookies,
    AuthResponses,
    TokensService,
    PasswordsService,
    RefreshTokensRepository,
    SessionChecks,
    JwtAuthGuard,
    OidcClients,
    SsoRepository,
    SsoService,
    AzureTokenVerifier,
    OidcCallbackStrategy,
    OidcCallbackGuard,
    RolesGuard,
    AccessTokenVerifier,
    AccountsService,
    EmailTokensRepository,
    KeyedRateLimiter,
  ],
  exports: [AuthService, AuthCookies, RefreshTokensRepository, JwtAuthGuard, RolesGuard, AccessTokenVerifier],
})
export class AuthModule {}
