import { Type } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type { ApiLimits } from '../../user-settings/user-limits.service';
import type { StoredIntegrations, StoredPreferences } from '../../user-settings/user-settings.entity';

export const THEMES = ['light', 'dark', 'system'] as const;
export const NOTIFICATION_CHANNELS = ['email', 'slack', 'webhook'] as const;

export class NotificationsDto {
  @IsOptional() @IsBoolean() email?: boolean;
  @IsOptional() @IsBoolean() push?: boolean;
  @IsOptional() @IsBoolean() run_completion?: boolean;
  /** Where consent requests are announced besides the app. */
  @IsOptional() @IsArray() @ArrayUnique() @IsIn(NOTIFICATION_CHANNELS, { each: true })
  consent_requests?: Array<(typeof NOTIFICATION_CHANNELS)[number]>;
}

export class UserPreferencesDto {
  @IsOptional() @IsIn(THEMES) theme?: (typeof THEMES)[number];
  /** A BCP 47 language tag, e.g. `en` or `pt-BR`. */
  @IsOptional() @IsString() @Matches(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, { message: 'language must be a language tag such as en or pt-BR' })
  language?: string;
  /** An IANA time zone, e.g. `Europe/Paris`. */
  @IsOptional() @IsString() @MaxLength(64) timezone?: string;
  @IsOptional() @ValidateNested() @Type(() => NotificationsDto) notifications?: NotificationsDto;
  /** `provider:model` used when a message names none (one of GET /models); null clears it. */
  @IsOptional() @ValidateIf((_, value) => value !== null) @IsString() @MaxLength(200) default_model?: string | null;
}

/** Secrets are write-only: send a value to set it, null to remove it. */
export class AzureOpenAiIntegrationDto {
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional() @ValidateIf((_, value) => value !== null) @IsString() @MaxLength(500) endpoint?: string | null;
  @IsOptional() @ValidateIf((_, value) => value !== null) @IsString() @MinLength(1) @MaxLength(500) api_key?: string | null;
}

export class SlackIntegrationDto {
  @IsOptional() @ValidateIf((_, value) => value !== null) @IsString() @MaxLength(500) webhook_url?: string | null;
}

export class WebhookIntegrationDto {
  @IsOptional() @ValidateIf((_, value) => value !== null) @IsString() @MaxLength(500) url?: string | null;
  @IsOptional() @ValidateIf((_, value) => value !== null) @IsString() @MinLength(16) @MaxLength(500) secret?: string | null;
}

export class IntegrationsDto {
  @IsOptional() @ValidateNested() @Type(() => AzureOpenAiIntegrationDto) azure_openai?: AzureOpenAiIntegrationDto;
  @IsOptional() @ValidateNested() @Type(() => SlackIntegrationDto) slack?: SlackIntegrationDto;
  @IsOptional() @ValidateNested() @Type(() => WebhookIntegrationDto) webhook?: WebhookIntegrationDto;
}

/** PUT /settings: every part optional, merged into what is stored. `api_limits` is not writable here. */
export class UpdateSettingsDto {
  @IsOptional() @ValidateNested() @Type(() => UserPreferencesDto) user_preferences?: UserPreferencesDto;
  @IsOptional() @ValidateNested() @Type(() => IntegrationsDto) integrations?: IntegrationsDto;
}

export class ApiLimitsDto {
  max_sessions: number;
  max_runs_per_hour: number;
  max_tokens_per_day: number;
}

export class AzureOpenAiIntegrationViewDto {
  enabled: boolean;
  endpoint: string | null;
  has_api_key: boolean;
}

export class SlackIntegrationViewDto {
  has_webhook_url: boolean;
}

export class WebhookIntegrationViewDto {
  url: string | null;
  has_secret: boolean;
}

export class IntegrationsViewDto {
  azure_openai: AzureOpenAiIntegrationViewDto;
  slack: SlackIntegrationViewDto;
  webhook: WebhookIntegrationViewDto;
}

export class SettingsDto {
  user_preferences: StoredPreferences;
  api_limits: ApiLimitsDto;
  integrations: IntegrationsViewDto;
}

/** Secrets become `has_*` flags: a sealed value never leaves the server, not even encrypted. */
export function mapSettings(preferences: StoredPreferences, limits: ApiLimits, integrations: StoredIntegrations): SettingsDto {
  return {
    user_preferences: preferences,
    api_limits: limits,
    integrations: {
      azure_openai: {
        enabled: integrations.azure_openai?.enabled ?? false,
        endpoint: integrations.azure_openai?.endpoint ?? null,
        has_api_key: Boolean(integrations.azure_openai?.api_key_sealed),
      },
      slack: { has_webhook_url: Boolean(integrations.slack?.webhook_url_sealed) },
      webhook: { url: integrations.webhook?.url ?? null, has_secret: Boolean(integrations.webhook?.secret_sealed) },
    },
  };
}
