import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { AppConfig } from '../../../config/app-config';
import { azureIssuer } from '../../../config/sso-config';
import { OidcClients } from './oidc-clients';
import { allowedTenants } from './sso-identity';

const CLOCK_TOLERANCE_SECONDS = 30;
const JWKS_TIMEOUT_MS = 5000;

/**
 * Verifies Azure AD access tokens issued for our API (MSAL single-page apps): RS256 only, the
 * issuer of an allowed tenant, `aud` = our client id (or `api://{client id}`), and the API scope in
 * `scp` (or, in an app-only token with `idtyp=app`, a mapped app role); ID tokens (they carry a
 * nonce) are refused. Keys come from the tenant's JWKS; a token signed with an unknown `kid`
 * (key rollover) makes jose refetch the set, at most once per cooldown.
 */
@Injectable()
export class AzureTokenVerifier {
  private jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly config: AppConfig,
    private readonly clients: OidcClients,
  ) {}

  /** Cheap pre-check without verifying: is this (claimed to be) from one of our Azure AD tenants? */
  isAzureToken(token: string): boolean {
    const azure = this.config.sso.azure;
    if (!azure) return false;
    try {
      const { iss } = decodeJwt(token);
      return typeof iss === 'string' && this.issuers().includes(iss);
    } catch {
      return false;
    }
  }

  async verify(token: string): Promise<JWTPayload> {
    const azure = this.config.sso.azure!;
    const jwks = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms: ['RS256'],
        issuer: this.issuers(),
        audience: azure.audiences,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iat', 'tid', 'oid'],
      }));
    } catch (error) {
      throw verificationError(error);
    }
    // The issuer must also be the token's own tenant (no token from tenant A claiming tid B).
    if (payload.iss !== azureIssuer(azure.authority, String(payload.tid))) {
      throw new AppException(ErrorCode.AuthenticationRequired, 'A valid access token is required');
    }
    // An ID token has our client id as audience too, but is proof of sign-in, not an access
    // token for this API: it carries a nonce and no scp.
    if (payload.nonce !== undefined) {
      throw new AppException(ErrorCode.AuthenticationRequired, 'An ID token is not an access token: send an access token for this API');
    }
    const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    const hasScope = scopes.includes(azure.apiScope);
    // App roles alone qualify only in an app-only token (client credentials, idtyp=app).
    const hasRole =
      payload.idtyp === 'app' && roles.some((role) => typeof role === 'string' && Object.hasOwn(azure.roleMap, role));
    if (!hasScope && !hasRole) {
      throw new AppException(ErrorCode.AccessDenied, `The Azure AD token lacks the '${azure.apiScope}' scope or a permitted app role`);
    }
    return payload;
  }

  private issuers(): string[] {
    const azure = this.config.sso.azure!;
    return allowedTenants(this.config.sso).map((tenant) => azureIssuer(azure.authority, tenant));
  }

  private async keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return this.jwks;
    const provider = this.clients.provider('azure');
    const jwksUri = (await this.clients.configuration(provider)).serverMetadata().jwks_uri;
    if (!jwksUri) throw new AppException(ErrorCode.ServiceUnavailable, 'Azure AD publishes no signing keys (jwks_uri)');
    this.jwks = createRemoteJWKSet(new URL(jwksUri), {
      cooldownDuration: this.config.sso.jwksCooldownSeconds * 1000,
      timeoutDuration: JWKS_TIMEOUT_MS,
    });
    return this.jwks;
  }
}

function verificationError(error: unknown): AppException {
  if (error instanceof errors.JWTExpired) {
    return new AppException(ErrorCode.TokenExpired, 'Access token has expired', {
      expired_at: typeof error.payload.exp === 'number' ? new Date(error.payload.exp * 1000).toISOString() : undefined,
      refresh_required: true,
    });
  }
  if (error instanceof errors.JWKSTimeout || (error instanceof TypeError && !(error instanceof errors.JOSEError))) {
    return new AppException(ErrorCode.ServiceUnavailable, 'Azure AD signing keys cannot be fetched; try again later');
  }
  return new AppException(ErrorCode.AuthenticationRequired, 'A valid access token is required');
}
