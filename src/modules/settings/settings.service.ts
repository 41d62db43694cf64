import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { SecretBox } from '../../common/crypto/secret-box';
import { AppException } from '../../common/errors/app.exception';
import { AppConfig } from '../../config/app-config';
import { ModelRegistry } from '../agent/models/model-registry';
import { mapSettings, SettingsDto, UpdateSettingsDto } from './dto/settings.dto';
import { PROTOTYPE_KEYS } from './prototype-keys.middleware';
import { publicUrlProblem } from './public-url';
import { SettingsRepository } from '../user-settings/settings.repository';
import { UserLimitsService } from '../user-settings/user-limits.service';
import type { StoredIntegrations, StoredPreferences, UserSettings } from '../user-settings/user-settings.entity';


/**
 * How long an instance reuses a user's default_model: it is read before every message. A change
 * made here is seen at once; one made through another instance within this time.
 */
const DEFAULT_MODEL_TTL_MS = 5_000;

/** Secrets an integration may hold, by `integration.field`; the sealed value's context names both. */
type SecretName = 'azure_openai.api_key' | 'slack.webhook_url' | 'webhook.secret';

@Injectable()
export class SettingsService {
  private readonly defaultModels = new LRUCache<string, { model: string | null }>({ max: 10_000, ttl: DEFAULT_MODEL_TTL_MS });

  constructor(
    private readonly settings: SettingsRepository,
    private readonly limits: UserLimitsService,
    private readonly models: ModelRegistry,
    private readonly box: SecretBox,
    private readonly config: AppConfig,
  ) {}

  async get(userId: string): Promise<SettingsDto> {
    const row = await this.settings.find(userId);
    return this.view(row?.preferences ?? {}, row?.apiLimits ?? {}, row?.integrations ?? {});
  }

  async update(userId: string, dto: UpdateSettingsDto): Promise<SettingsDto> {
    await this.validate(dto);
    const sealed = this.sealSecrets(userId, dto);
    const row = await this.settings.update(userId, (current) => ({
      preferences: dto.user_preferences ? (deepMerge(current.preferences, dto.user_preferences) as StoredPreferences) : current.preferences,
      integrations: dto.integrations ? (deepMerge(current.integrations, sealed) as StoredIntegrations) : current.integrations,
    }));
    this.defaultModels.delete(userId);
    return this.view(row.preferences, row.apiLimits, row.integrations);
  }

  /** The user's `default_model` preference, if any (chat uses it when a message names no model). */
  async defaultModel(userId: string): Promise<string | null> {
    const cached = this.defaultModels.get(userId);
    if (cached) return cached.model;
    const model = (await this.settings.find(userId))?.preferences.default_model ?? null;
    this.defaultModels.set(userId, { model });
    return model;
  }

  /** The plaintext of a stored secret, for the code that calls the integration (notifications). */
  async secret(userId: string, name: SecretName): Promise<string | null> {
    const row = await this.settings.find(userId);
    const [integration, field] = name.split('.') as [keyof StoredIntegrations, string];
    const sealed = (row?.integrations[integration] as Record<string, string | null | undefined> | undefined)?.[`${field}_sealed`];
    return sealed ? this.box.open(sealed, secretContext(userId, name)) : null;
  }

  private view(preferences: StoredPreferences, limits: UserSettings['apiLimits'], integrations: StoredIntegrations): SettingsDto {
    return mapSettings(preferences, this.limits.withDefaults(limits), integrations);
  }

  private async validate(dto: UpdateSettingsDto): Promise<void> {
    const problems: Record<string, string[]> = {};
    const prefs = dto.user_preferences;
    if (prefs?.timezone !== undefined && !isTimeZone(prefs.timezone)) problems['user_preferences.timezone'] = ['must be an IANA time zone such as Europe/Paris'];
    if (prefs?.default_model && !this.models.isOffered(prefs.default_model)) {
      problems['user_preferences.default_model'] = ['is not offered by this server; GET /models lists the choices'];
    }
    const urls: Array<[string, string | null | undefined]> = [
      ['integrations.azure_openai.endpoint', dto.integrations?.azure_openai?.endpoint],
      ['integrations.slack.webhook_url', dto.integrations?.slack?.webhook_url],
      ['integrations.webhook.url', dto.integrations?.webhook?.url],
    ];
    for (const [field, url] of urls) {
      const problem = url ? await publicUrlProblem(url, this.config.webhookAllowPrivate) : undefined;
      if (problem) problems[field] = [problem];
    }
    if (Object.keys(problems).length) throw AppException.validation(problems);
  }

  /** The integrations patch with each secret replaced by its sealed form (`<field>_sealed`). */
  private sealSecrets(userId: string, dto: UpdateSettingsDto): StoredIntegrations {
    const integrations = dto.integrations ?? {};
    const seal = (name: SecretName, value: string | null | undefined) =>
      value === undefined ? undefined : value === null ? null : this.box.seal(value, secretContext(userId, name));
    const { api_key, ...azure } = integrations.azure_openai ?? {};
    const { webhook_url } = integrations.slack ?? {};
    const { secret, ...webhook } = integrations.webhook ?? {};
    return {
      ...(integrations.azure_openai && { azure_openai: { ...azure, api_key_sealed: seal('azure_openai.api_key', api_key) } }),
      ...(integrations.slack && { slack: { webhook_url_sealed: seal('slack.webhook_url', webhook_url) } }),
      ...(integrations.webhook && { webhook: { ...webhook, secret_sealed: seal('webhook.secret', secret) } }),
    };
  }
}

/** Binds a sealed secret to its user and field: copied to another row, it does not open. */
const secretContext = (userId: string, name: SecretName) => `user:${userId}:${name}`;

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Objects merge key by key; anything else (arrays included) replaces; undefined leaves as is. */
export function deepMerge(base: object, patch: object): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || PROTOTYPE_KEYS.has(key)) continue;
    const current = result[key];
    const bothObjects = isPlainObject(value) && isPlainObject(current);
    result[key] = bothObjects ? deepMerge(current, value) : isPlainObject(value) ? deepMerge({}, value) : value;
  }
  return result;
}

function isPlainObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
