import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';
import { formBoolean } from '../../../../common/http/form-boolean';

export class SsoLoginDto {
  /** Where the browser lands after sign-in, with `?code=` to exchange; on an origin of CORS_ORIGINS. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @MaxLength(2048)
  redirect_url?: string;
}

export class SsoAuthUrlDto {
  /** Send the browser here (the IdP's authorization endpoint, with state, nonce and PKCE challenge). */
  auth_url: string;
  /** Echo it in POST /auth/{provider}/callback, with the `sso_binding` cookie this response sets. */
  state: string;
}

/** POST /auth/{provider}/callback: the IdP's authorization response, relayed by the client. */
export class SsoCallbackDto {
  @IsString()
  @Length(1, 4096)
  code: string;

  @IsString()
  @Length(1, 512)
  state: string;

  /** RFC 9207 issuer identifier, when the IdP sent one. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  iss?: string;

  @IsOptional()
  @Transform(formBoolean)
  @IsBoolean()
  set_cookies?: boolean;
}

/** GET /auth/{provider}/callback: what the IdP puts in the redirect (Azure AD adds session_state). */
export class SsoCallbackQueryDto {
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  code?: string;

  @IsString()
  @Length(1, 512)
  state: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  iss?: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  session_state?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  client_info?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  error?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  error_description?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  error_uri?: string;
}

export class ExchangeCodeDto {
  /** The one-time `code` from the redirect after a browser sign-in (single use, 60 s). */
  @IsString()
  @Length(1, 512)
  code: string;

  /** Set the tokens as HTTP-only cookies instead of returning them (seed 004's validate-token). */
  @IsOptional()
  @Transform(formBoolean)
  @IsBoolean()
  set_cookies?: boolean;
}
