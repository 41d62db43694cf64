import { InvalidEnvironmentError, parseDuration, validateEnv } from './env.schema';

describe(validateEnv.name, () => {
  it('applies defaults when nothing is set', () => {
    const env = validateEnv({});
    expect(env.API_PORT).toBe(3000);
    expect(env.JWT_ACCESS_TTL).toBe(15 * 60);
    expect(env.JWT_REFRESH_TTL).toBe(7 * 86400);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.CORS_ORIGINS).toEqual([]);
  });

  it('reads notification settings: a reminder duration or 0 for none, retries and timeouts', () => {
    expect(validateEnv({})).toMatchObject({ CONSENT_REMINDER_BEFORE: 6 * 3600, NOTIFY_RETRY_LIMIT: 5, NOTIFY_RETRY_DELAY: 10, NOTIFY_RETRY_DELAY_MAX: 3600, NOTIFY_HTTP_TIMEOUT_MS: 10_000 });
    expect(validateEnv({ CONSENT_REMINDER_BEFORE: '0' }).CONSENT_REMINDER_BEFORE).toBe(0);
    expect(validateEnv({ CONSENT_REMINDER_BEFORE: '30m' }).CONSENT_REMINDER_BEFORE).toBe(1800);
    expect(() => validateEnv({ CONSENT_REMINDER_BEFORE: 'soon', NOTIFY_HTTP_TIMEOUT_MS: '5' })).toThrow(/CONSENT_REMINDER_BEFORE[\s\S]*NOTIFY_HTTP_TIMEOUT_MS/);
  });

  it('names every bad variable in one message', () => {
    expect(() => validateEnv({ API_PORT: 'eighty', DATABASE_URL: 'mysql://x', JWT_ACCESS_TTL: 'soon' })).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/API_PORT[\s\S]*DATABASE_URL[\s\S]*JWT_ACCESS_TTL/),
      }),
    );
  });

  it('refuses to start in production with the default JWT secret or encryption key', () => {
    expect(() => validateEnv({ NODE_ENV: 'production' })).toThrow(InvalidEnvironmentError);
    expect(() => validateEnv({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET[\s\S]*ENCRYPTION_KEY/);
    const env = validateEnv({ NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), ENCRYPTION_KEY: 'k'.repeat(40), SMTP_URL: 'smtp://mail.example.com:587' });
    expect(env.NODE_ENV).toBe('production');
  });

  it('refuses to start in production with SSO configured but no PUBLIC_URL (the redirect URI would follow Host)', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), ENCRYPTION_KEY: 'k'.repeat(40), SMTP_URL: 'smtp://mail.example.com:587' };
    expect(() => validateEnv({ ...production, AZURE_AD_TENANT_ID: 't', AZURE_AD_CLIENT_ID: 'c' })).toThrow(/PUBLIC_URL: must be set/);
    expect(() => validateEnv({ ...production, OIDC_GOOGLE_CLIENT_ID: 'g' })).toThrow(/PUBLIC_URL/);
    expect(() => validateEnv({ ...production, AZURE_AD_TENANT_ID: 't', AZURE_AD_CLIENT_ID: 'c', PUBLIC_URL: 'https://api.example.com' })).not.toThrow();
    expect(() => validateEnv({ AZURE_AD_TENANT_ID: 't', AZURE_AD_CLIENT_ID: 'c' })).not.toThrow();
  });

  it('refuses to start in production without SMTP_URL while local registration is allowed', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), ENCRYPTION_KEY: 'k'.repeat(40) };
    expect(() => validateEnv(production)).toThrow(/SMTP_URL: must be set in production when local registration is allowed/);
    expect(() => validateEnv({ ...production, ALLOW_LOCAL_REGISTRATION: 'false' })).not.toThrow();
    expect(() => validateEnv({ ...production, SMTP_URL: 'smtp://mail.example.com:587' })).not.toThrow();
    expect(() => validateEnv({ SMTP_URL: 'http://mail.example.com' })).toThrow(/SMTP_URL/);
    expect(() => validateEnv({})).not.toThrow();
  });

  it('refuses a short JWT secret', () => {
    expect(() => validateEnv({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET: must be at least 32/);
  });

  it('treats empty strings as unset', () => {
    expect(validateEnv({ DATABASE_URL: '', API_PORT: '' }).API_PORT).toBe(3000);
  });

  it('parses TRUST_PROXY as boolean, hop count or address list', () => {
    expect(validateEnv({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(validateEnv({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(validateEnv({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toBe('loopback, 10.0.0.0/8');
    expect(validateEnv({}).TRUST_PROXY).toBe(false);
  });
});

describe(parseDuration.name, () => {
  it.each([
    ['30', 30],
    ['30s', 30],
    ['15m', 900],
    ['2h', 7200],
    ['7d', 604800],
    ['later', undefined],
  ])('%s -> %s', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });
});
