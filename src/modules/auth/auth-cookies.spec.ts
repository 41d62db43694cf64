import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env.schema';
import { AuthCookies } from './auth-cookies';

describe(AuthCookies.name, () => {
  it('names every cookie, the SSO binding included, with the __Host- prefix in production', () => {
    const production = new AppConfig(
      validateEnv({ NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), ENCRYPTION_KEY: 'k'.repeat(40), SMTP_URL: 'smtp://mail.example.com:587' }),
    );
    const sut = new AuthCookies(production);
    expect(Object.values(sut.names)).toEqual(['__Host-access_token', '__Host-refresh_token', '__Host-csrf_token', '__Host-sso_binding']);
    expect(new AuthCookies(new AppConfig(validateEnv({}))).names.ssoBinding).toBe('sso_binding');
  });
});
