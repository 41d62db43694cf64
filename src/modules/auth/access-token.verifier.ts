import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { type AuthenticatedUser, authenticatedUser } from './authenticated-user';
import { SessionChecks } from './session-checks';
import { AzureTokenVerifier } from './sso/azure-tokens';
import { OidcClients } from './sso/oidc-clients';
import { profileFromClaims } from './sso/sso-identity';
import { SsoService } from './sso/sso.service';
import { AccessTokenClaims, hasRequiredClaims, JWT_ALGORITHM } from './tokens.service';

export interface VerifiedAccessToken {
  user: AuthenticatedUser;
  /** Seconds since the epoch. */
  expiresAt: number;
}

const required = () => new AppException(ErrorCode.AuthenticationRequired, 'A valid access token is required');

/**
 * The one access-token check, for every transport: the HTTP guard, the Socket.IO handshake and
 * the plain WebSockets all call verify(), so they accept exactly the same tokens:
 * - ours (pinned HS256, iss, aud, exp, required claims) whose account is enabled and whose
 *   sign-in (refresh family) is not revoked, so logout and disabling take effect at once;
 * - as a Bearer only, an Azure AD access token for our API (AzureTokenVerifier), mapped to the
 *   same account as the SSO sign-in. Our own tokens are tried first.
 * Throws TOKEN_EXPIRED (with refresh_required), ACCESS_DENIED (Azure token without our scope)
 * or AUTHENTICATION_REQUIRED.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly sessions: SessionChecks,
    private readonly azure: AzureTokenVerifier,
    private readonly sso: SsoService,
    private readonly clients: OidcClients,
  ) {}

  async verify(token: string | undefined, via: AuthUser['via']): Promise<VerifiedAccessToken> {
    if (!token) throw required();
    let claims: AccessTokenClaims & { exp: number };
    try {
      claims = this.jwt.verify(token, {
        // @nestjs/jwt types this as string | Buffer; jsonwebtoken takes a KeyObject (faster).
        secret: this.config.auth.jwtKey as unknown as Buffer,
        algorithms: [JWT_ALGORITHM],
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
      });
    } catch (error) {
      const { name, expiredAt } = error as { name?: string; expiredAt?: Date };
      if (name === 'TokenExpiredError') {
        throw new AppException(ErrorCode.TokenExpired, 'Access token has expired', { expired_at: expiredAt?.toISOString(), refresh_required: true });
      }
      if (via === 'bearer' && this.azure.isAzureToken(token)) return this.verifyAzure(token);
      throw required();
    }
    if (!hasRequiredClaims(claims)) throw required();
    const account = await this.sessions.activeAccount(claims.sub, claims.sid);
    if (!account) throw required();
    return { user: authenticatedUser(account, via, claims.sid), expiresAt: claims.exp };
  }

  /** Still signed in (sockets re-check this on an interval): see SessionChecks.isActive. */
  isActive(user: Pick<AuthUser, 'id' | 'sessionId'>): Promise<boolean> {
    return this.sessions.isActive(user);
  }

  private async verifyAzure(token: string): Promise<VerifiedAccessToken> {
    const claims = await this.azure.verify(token);
    const provider = this.clients.provider('azure');
    const account = await this.sso.signIn(provider, profileFromClaims(provider, claims, this.config.sso.azure?.authority));
    // No refresh family: Azure AD owns this token's lifetime (see AuthUser.sessionId).
    return { user: authenticatedUser(account, 'bearer'), expiresAt: claims.exp! };
  }
}

/** `Authorization: Bearer <token>` (scheme case-insensitive), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
