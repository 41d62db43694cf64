import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export interface StoredNotifications {
  email?: boolean;
  push?: boolean;
  run_completion?: boolean;
  consent_requests?: Array<'email' | 'slack' | 'webhook'>;
}

/** Stored as sent on the wire (snake_case): it is the user's JSON, merged key by key. */
export interface StoredPreferences {
  theme?: 'light' | 'dark' | 'system';
  language?: string;
  timezone?: string;
  notifications?: StoredNotifications;
  default_model?: string | null;
}

/** Only what an admin set; a missing key means the configured default. */
export interface StoredApiLimits {
  max_sessions?: number;
  max_runs_per_hour?: number;
  max_tokens_per_day?: number;
}

/** Secrets are SecretBox-sealed strings (`*_sealed`), never plaintext. */
export interface StoredIntegrations {
  azure_openai?: { enabled?: boolean; endpoint?: string | null; api_key_sealed?: string | null };
  slack?: { webhook_url_sealed?: string | null };
  webhook?: { url?: string | null; secret_sealed?: string | null };
}

@Entity('user_settings')
export class UserSettings {
  @PrimaryColumn('uuid')
  userId: string;

  @Column({ type: 'jsonb', default: {} })
  preferences: StoredPreferences;

  @Column({ type: 'jsonb', default: {} })
  apiLimits: StoredApiLimits;

  @Column({ type: 'jsonb', default: {} })
  integrations: StoredIntegrations;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
