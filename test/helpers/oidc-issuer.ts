import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Issuer, OAuth2Service, type Payload } from 'oauth2-mock-server';

/** Who the next ID tokens describe (Azure AD v2.0 claims). */
export interface AzureTestUser {
  oid: string;
  preferred_username: string;
  name?: string;
  email?: string;
  /** Azure AD's optional claim: the email's domain owner verified it. */
  xms_edov?: boolean;
  roles?: string[];
  groups?: string[];
}

/**
 * A local OpenID Connect issuer shaped like an Azure AD tenant: oauth2-mock-server behind a tiny
 * HTTP front that serves it under /{tenant}/v2.0 (issuer `${url}/${tenant}/v2.0`, discovery at
 * `${issuer}/.well-known/openid-configuration`), adding tid, oid, preferred_username, name, email,
 * roles and ver to ID tokens.
 */
export class AzureTenantIssuer {
  /** Claims of the next ID tokens; set with signInAs(). */
  user: AzureTestUser = { oid: 'unset', preferred_username: 'unset@contoso.com' };
  private idTokenTweaks: Array<(payload: Payload) => void> = [];

  private constructor(
    readonly tenantId: string,
    readonly clientId: string,
    readonly mock: OAuth2Issuer,
    private readonly server: Server,
  ) {}

  static async start(options: { tenantId: string; clientId: string }): Promise<AzureTenantIssuer> {
    const mock = new OAuth2Issuer();
    const service = new OAuth2Service(mock);
    const handler = service.requestHandler;
    const prefix = `/${options.tenantId}/v2.0`;
    const server = createServer((req, res) => {
      if (req.url?.startsWith(prefix)) req.url = req.url.slice(prefix.length) || '/';
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = new AzureTenantIssuer(options.tenantId, options.clientId, mock, server);
    await issuer.addSigningKey();
    mock.url = `${issuer.authority}${prefix}`;
    service.on('beforeTokenSigning', (token: { payload: Payload }) => {
      // The authorization-code grant signs an access token (it has `scope`) and then the ID token.
      if (token.payload.scope !== undefined) return;
      issuer.shapeIdToken(token.payload);
    });
    return issuer;
  }

  /**
   * A new RS256 signing key (the newest signs from now on). Not keys.generate(): under jest it
   * rejects WebCrypto's JWK (an object of another realm fails its plain-object check).
   */
  async addSigningKey(kid: string = randomUUID()): Promise<string> {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    await this.mock.keys.add({ ...jwk, alg: 'RS256', kid });
    return kid;
  }

  /** Base URL: AZURE_AD_AUTHORITY for the app under test. */
  get authority(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get issuer(): string {
    return this.mock.url!;
  }

  /** The issuer URL of another tenant at the same authority. */
  issuerOf(tenantId: string): string {
    return `${this.authority}/${tenantId}/v2.0`;
  }

  signInAs(user: AzureTestUser): void {
    this.user = user;
  }

  /** Changes the next ID token only (e.g. a wrong nonce, audience or issuer). */
  tweakNextIdToken(tweak: (payload: Payload) => void): void {
    this.idTokenTweaks.push(tweak);
  }

  /** An Azure AD v2.0 access token for the API (`aud` = client id), with overrides. */
  accessToken(overrides: Record<string, unknown> = {}, options: { expiresIn?: number; kid?: string } = {}): Promise<string> {
    return this.mock.buildToken({
      kid: options.kid,
      expiresIn: options.expiresIn,
      scopesOrTransform: (_header, payload) => {
        Object.assign(payload, this.userClaims(), { aud: this.clientId, scp: 'access_as_user', azp: 'spa-client-id' }, overrides);
      },
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  private userClaims(): Record<string, unknown> {
    const { oid, preferred_username, name, email, xms_edov, roles, groups } = this.user;
    return {
      ver: '2.0',
      tid: this.tenantId,
      oid,
      sub: `pairwise-${oid}`,
      preferred_username,
      ...(name !== undefined && { name }),
      ...(email !== undefined && { email }),
      ...(xms_edov !== undefined && { xms_edov }),
      ...(roles !== undefined && { roles }),
      ...(groups !== undefined && { groups }),
    };
  }

  private shapeIdToken(payload: Payload): void {
    Object.assign(payload, this.userClaims());
    const tweak = this.idTokenTweaks.shift();
    tweak?.(payload);
  }
}
