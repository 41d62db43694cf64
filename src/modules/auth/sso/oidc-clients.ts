import { Injectable, Logger } from '@nestjs/common';
import * as client from 'openid-client';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { AppConfig } from '../../../config/app-config';
import type { OidcProviderConfig } from '../../../config/sso-config';

const DISCOVERY_TIMEOUT_SECONDS = 10;

/**
 * The configured identity providers and their discovered metadata. Discovery is lazy (first
 * use) and cached, so the app starts without reaching any IdP; a failed discovery is not cached,
 * the caller gets SERVICE_UNAVAILABLE and the next request tries again.
 */
@Injectable()
export class OidcClients {
  private readonly logger = new Logger(OidcClients.name);
  private readonly discovered = new Map<string, Promise<client.Configuration>>();

  constructor(private readonly config: AppConfig) {}

  /** The provider's settings. Unknown names are 404; Azure AD without configuration is 503. */
  provider(name: string): OidcProviderConfig {
    const provider = this.config.sso.providers.find((candidate) => candidate.name === name);
    if (provider) return provider;
    if (name === 'azure') {
      throw new AppException(
        ErrorCode.ServiceUnavailable,
        `Azure AD sign-in is not configured: set ${this.config.sso.azureMissing.join(' and ')} (see README "Single sign-on")`,
      );
    }
    throw new AppException(ErrorCode.ResourceNotFound, `Unknown sign-in provider '${name}'`);
  }

  async configuration(provider: OidcProviderConfig): Promise<client.Configuration> {
    let pending = this.discovered.get(provider.name);
    if (!pending) {
      pending = this.discover(provider);
      this.discovered.set(provider.name, pending);
      pending.catch(() => this.discovered.delete(provider.name));
    }
    try {
      return await pending;
    } catch (error) {
      this.logger.warn({ provider: provider.name, err: error }, 'OpenID discovery failed');
      throw new AppException(ErrorCode.ServiceUnavailable, `The identity provider '${provider.name}' cannot be reached; try again later`);
    }
  }

  private discover(provider: OidcProviderConfig): Promise<client.Configuration> {
    const issuer = new URL(provider.issuer);
    return client.discovery(
      issuer,
      provider.clientId,
      undefined,
      provider.clientSecret ? client.ClientSecretPost(provider.clientSecret) : client.None(),
      {
        timeout: DISCOVERY_TIMEOUT_SECONDS,
        // Plain HTTP only for an IdP on this machine (development and tests).
        execute: isLoopbackHttp(issuer) ? [client.allowInsecureRequests] : [],
      },
    );
  }
}

export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}
