import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { ExtractJwt } from 'passport-jwt';
import { type AuthUser, authUserOf } from '../../../common/auth/auth-user';
import { AppConfig } from '../../../config/app-config';
import { AzureTokenVerifier } from './azure-tokens';
import { profileFromClaims } from './sso-identity';
import { SsoService } from './sso.service';
import { OidcClients } from './oidc-clients';
import { RequestStrategy } from './request.strategy';

const fromBearer = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * The global guard's second strategy: a Bearer token that is not ours but an Azure AD access
 * token for our API (an MSAL app). It maps to the same account as the sign-in flow (tid + oid).
 * Tokens that do not claim one of our tenants fail quietly, so the JWT strategy's reason stands.
 */
@Injectable()
export class AzureBearerStrategy extends PassportStrategy(RequestStrategy, 'azure-bearer') {
  constructor(
    private readonly verifier: AzureTokenVerifier,
    private readonly sso: SsoService,
    private readonly clients: OidcClients,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async validate(req: Request): Promise<AuthUser | false> {
    const token = fromBearer(req);
    if (!token || !this.verifier.isAzureToken(token)) return false;
    const claims = await this.verifier.verify(token);
    const provider = this.clients.provider('azure');
    const user = await this.sso.signIn(provider, profileFromClaims(provider, claims, this.config.sso.azure?.authority));
    // No refresh family: Azure AD owns this token's lifetime (see AuthUser.sessionId).
    return authUserOf(user, 'bearer');
  }
}

