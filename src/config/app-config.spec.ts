import { AppConfig } from './app-config';
import { validateEnv } from './env.schema';

const production = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), ENCRYPTION_KEY: 'k'.repeat(40), PUBLIC_URL: 'https://api.example.com', SMTP_URL: 'smtp://mail.example.com:587' };
const azure = { AZURE_AD_TENANT_ID: 't', AZURE_AD_CLIENT_ID: 'c' };
const config = (env: Record<string, string>) => new AppConfig(validateEnv(env));

describe(AppConfig.name, () => {
  it('ALLOW_LOCAL_REGISTRATION defaults to true, but false in production when SSO is configured', () => {
    expect(config({}).auth.allowLocalRegistration).toBe(true);
    expect(config({ ...azure }).auth.allowLocalRegistration).toBe(true);
    expect(config(production).auth.allowLocalRegistration).toBe(true);
    expect(config({ ...production, ...azure }).auth.allowLocalRegistration).toBe(false);
    expect(config({ ...production, ...azure, ALLOW_LOCAL_REGISTRATION: 'true' }).auth.allowLocalRegistration).toBe(true);
    expect(config({ ALLOW_LOCAL_REGISTRATION: 'false' }).auth.allowLocalRegistration).toBe(false);
  });

  it('SSO sign-ins get a shorter refresh lifetime (SSO_REFRESH_TTL, 8 h by default)', () => {
    expect(config({}).auth.ssoRefreshTtlSeconds).toBe(8 * 3600);
    expect(config({ SSO_REFRESH_TTL: '1h' }).auth.ssoRefreshTtlSeconds).toBe(3600);
  });
});
