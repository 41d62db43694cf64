import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { AppConfig } from '../../../config/app-config';
import type { OidcProviderConfig } from '../../../config/sso-config';
import { isUniqueViolation } from '../../../database/pg-errors';
import { Role } from '../../../common/auth/role';
import { User } from '../../users/user.entity';
import { UsersRepository } from '../../users/users.repository';
import { AuthService, IssuedTokens } from '../auth.service';
import { hashToken } from '../tokens.service';
import { OidcClients } from './oidc-clients';
import { rolesAtSignIn } from '../../users/user-roles';
import { assertAllowed, profileFromClaims, SsoProfile, usernameCandidate } from './sso-identity';
import { SsoRepository } from './sso.repository';

const STATE_TTL_SECONDS = 10 * 60;
const EXCHANGE_CODE_TTL_SECONDS = 60;
const USERNAME_ATTEMPTS = 5;

/** The result of a finished IdP round trip: the signed-in account and where the browser goes next. */
export interface SsoSignIn {
  user: User;
  redirectUrl: string | null;
}

export interface AuthorizationResponse {
  code: string;
  state: string;
  /** RFC 9207 issuer identifier, when the IdP sends one. */
  iss?: string;
}

/**
 * Sign-in through OpenID Connect providers (Azure AD first): authorization code + PKCE with
 * state, nonce and verifier held in PostgreSQL (single use, 10 minutes), users provisioned by
 * their IdP identity, and our own tokens issued at the end.
 */
@Injectable()
export class SsoService {
  private readonly logger = new Logger(SsoService.name);

  constructor(
    private readonly clients: OidcClients,
    private readonly repository: SsoRepository,
    private readonly users: UsersRepository,
    private readonly auth: AuthService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Starts a sign-in: stores state, nonce and PKCE verifier, bound to `binding` (the browser's
   * binding cookie, which the caller sets), and returns the IdP URL.
   */
  async begin(
    providerName: string,
    redirectUrl: string | undefined,
    requestOrigin: string,
    binding: string,
  ): Promise<{ authUrl: string; state: string }> {
    const provider = this.clients.provider(providerName);
    if (redirectUrl !== undefined) this.assertAllowedRedirect(redirectUrl);
    const configuration = await this.clients.configuration(provider);

    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const callbackUrl = `${this.config.sso.publicUrl ?? requestOrigin}/api/v1/auth/${provider.name}/callback`;
    await this.repository.deleteExpired();
    await this.repository.insertState({
      stateHash: hashToken(state),
      provider: provider.name,
      nonce,
      codeVerifier,
      callbackUrl,
      redirectUrl: redirectUrl ?? null,
      bindingHash: hashToken(binding),
      expiresAt: new Date(Date.now() + STATE_TTL_SECONDS * 1000),
    });
    const authUrl = client.buildAuthorizationUrl(configuration, {
      response_type: 'code',
      redirect_uri: callbackUrl,
      scope: provider.scopes,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { authUrl: authUrl.href, state };
  }

  /**
   * Finishes a sign-in: takes the state (once), redeems the code with the PKCE verifier, checks
   * the ID token (issuer, audience, nonce, expiry) and provisions or updates the user.
   */
  async complete(providerName: string, response: AuthorizationResponse, binding: string | undefined): Promise<SsoSignIn> {
    const provider = this.clients.provider(providerName);
    const pending = await this.repository.consumeState(hashToken(response.state), provider.name, hashToken(requireBinding(binding)));
    if (!pending) {
      throw new AppException(
        ErrorCode.AuthenticationRequired,
        'Unknown, already used or expired sign-in state, or one started in another browser: start again',
      );
    }
    const configuration = await this.clients.configuration(provider);

    const currentUrl = new URL(pending.callbackUrl);
    currentUrl.searchParams.set('code', response.code);
    currentUrl.searchParams.set('state', response.state);
    if (response.iss) currentUrl.searchParams.set('iss', response.iss);
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedNonce: pending.nonce,
        expectedState: response.state,
        idTokenExpected: true,
      });
      claims = tokens.claims() ?? {};
    } catch (error) {
      throw this.grantError(provider, error);
    }
    const user = await this.signIn(provider, profileFromClaims(provider, claims, this.config.sso.azure?.authority));
    return { user, redirectUrl: pending.redirectUrl };
  }

  /** The account behind an IdP identity: checked against the allow-lists, created or updated. */
  async signIn(provider: OidcProviderConfig, profile: SsoProfile): Promise<User> {
    assertAllowed(profile, this.config.sso);
    const existing = await this.users.findByExternalIdentity(profile.issuer, profile.subject);
    if (existing) return this.refresh(existing, profile, rolesAtSignIn(profile, existing.roles, provider, this.config.auth));
    return this.provision(provider, profile, rolesAtSignIn(profile, undefined, provider, this.config.auth));
  }

  /** A one-time code for the browser flow's redirect (single use, 60 s). */
  async issueExchangeCode(user: User, binding: string): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    await this.repository.insertCode({
      codeHash: hashToken(code),
      userId: user.id,
      bindingHash: hashToken(binding),
      expiresAt: new Date(Date.now() + EXCHANGE_CODE_TTL_SECONDS * 1000),
    });
    return code;
  }

  /** Redeems a one-time code for a new session (our tokens), in the browser that signed in. */
  async exchange(code: string, binding: string | undefined): Promise<IssuedTokens> {
    const userId = await this.repository.consumeCode(hashToken(code), hashToken(requireBinding(binding)));
    if (!userId) throw new AppException(ErrorCode.AuthenticationRequired, 'Unknown, already used or expired code: sign in again');
    const user = await this.users.findById(userId);
    if (!user || user.disabled) throw new AppException(ErrorCode.AccessDenied, 'This account is disabled');
    return this.auth.startSession(user);
  }

  private assertAllowedRedirect(redirectUrl: string): void {
    let origin: string | undefined;
    try {
      const url = new URL(redirectUrl);
      origin = url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
    } catch {
      origin = undefined;
    }
    if (!origin || !this.config.http.corsOrigins.includes(origin)) {
      throw AppException.validation({ redirect_url: ['redirect_url must be on an allowed origin (CORS_ORIGINS)'] });
    }
  }

  private async refresh(user: User, profile: SsoProfile, roles: Role[]): Promise<User> {
    if (user.disabled) throw new AppException(ErrorCode.AccessDenied, 'This account is disabled');
    const patch: Parameters<UsersRepository['update']>[1] = {};
    if (user.email !== profile.email) patch.email = profile.email;
    if (user.emailVerified !== profile.emailVerified) patch.emailVerified = profile.emailVerified;
    if (profile.name && user.displayName !== profile.name) patch.displayName = profile.name;
    if (user.externalTenantId !== profile.tenantId) patch.externalTenantId = profile.tenantId;
    if (roles.length !== user.roles.length || roles.some((role) => !user.roles.includes(role))) patch.roles = roles;
    if (Object.keys(patch).length === 0) return user;
    try {
      return (await this.users.update(user.id, patch)) ?? user;
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) throw this.emailTaken(profile);
      throw error;
    }
  }

  private async provision(provider: OidcProviderConfig, profile: SsoProfile, roles: Role[]): Promise<User> {
    for (let attempt = 0; attempt < USERNAME_ATTEMPTS; attempt++) {
      try {
        const user = await this.users.create({
          email: profile.email,
          username: usernameCandidate(profile.email, attempt === 0 ? undefined : randomBytes(3).toString('hex')),
          displayName: profile.name,
          passwordHash: null,
          roles,
          authProvider: provider.name,
          externalIssuer: profile.issuer,
          externalTenantId: profile.tenantId,
          externalSubject: profile.subject,
          emailVerified: profile.emailVerified,
        });
        this.logger.log({ user_id: user.id, provider: provider.name }, 'User provisioned by single sign-on');
        return user;
      } catch (error) {
        if (isUniqueViolation(error, 'users_username_key')) continue;
        if (isUniqueViolation(error, 'users_external_identity_key')) {
          // A concurrent first sign-in of the same identity created it.
          const created = await this.users.findByExternalIdentity(profile.issuer, profile.subject);
          if (created) return created;
        }
        if (isUniqueViolation(error, 'users_email_key')) throw this.emailTaken(profile);
        throw error;
      }
    }
    throw new AppException(ErrorCode.Conflict, 'Could not choose a free username; try again');
  }

  /** Never linked by email alone: whoever controls an IdP account with that email would own it. */
  private emailTaken(profile: SsoProfile): AppException {
    return new AppException(
      ErrorCode.Conflict,
      `Another account already uses ${profile.email}; single sign-on is not linked to it automatically. Ask an administrator.`,
    );
  }

  /** IdP answers and token checks are the user's problem (401); an unreachable IdP is ours (503). */
  private grantError(provider: OidcProviderConfig, error: unknown): AppException {
    this.logger.warn({ provider: provider.name, err: error }, 'Authorization code grant failed');
    if (error instanceof client.ResponseBodyError && error.status < 500) {
      return new AppException(ErrorCode.AuthenticationRequired, `The identity provider refused the sign-in: ${error.error}`);
    }
    if (error instanceof client.AuthorizationResponseError) {
      return new AppException(ErrorCode.AuthenticationRequired, `The identity provider refused the sign-in: ${error.error}`);
    }
    // A 4xx without an OAuth error body is still the IdP refusing the code, not an outage.
    const status = (error as { cause?: { status?: unknown } } | undefined)?.cause?.status;
    if (error instanceof client.ClientError && typeof status === 'number' && status >= 400 && status < 500) {
      return new AppException(ErrorCode.AuthenticationRequired, `The identity provider refused the sign-in (HTTP ${status})`);
    }
    const unreachable = ['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON'];
    if (error instanceof client.ClientError && error.code && !unreachable.includes(error.code)) {
      return new AppException(ErrorCode.AuthenticationRequired, `The ID token was rejected: ${error.message}`);
    }
    return new AppException(ErrorCode.ServiceUnavailable, `The identity provider '${provider.name}' cannot be reached; try again later`);
  }
}

/**
 * Without the binding cookie a callback or code could be one an attacker obtained for their own
 * account and slipped into the victim's browser (login CSRF, session swapping).
 */
function requireBinding(binding: string | undefined): string {
  if (!binding) {
    throw new AppException(ErrorCode.CsrfFailed, 'The sign-in must finish in the browser (or client) that started it: its sso_binding cookie is missing');
  }
  return binding;
}
