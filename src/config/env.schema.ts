import { z } from 'zod';

const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789';
const DEV_ENCRYPTION_KEY = 'dev-only-encryption-key-change-me-0123456789';

/** Parses "15m", "7d", "30s", "2h" or a bare number of seconds into seconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!match) return undefined;
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const seconds = parseDuration(value);
      if (seconds === undefined || seconds <= 0) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration such as 15m, 7d or 3600' });
        return z.NEVER;
      }
      return seconds;
    });

const csv = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

const boolWords = z.enum(['true', 'false', '1', '0', 'yes', 'no']);
const isTrue = (value: string) => value === 'true' || value === '1' || value === 'yes';

const bool = (fallback: boolean) =>
  boolWords.default(fallback ? 'true' : 'false').transform(isTrue);

/** A boolean whose default depends on other settings (undefined when unset). */
const optionalBool = boolWords.optional().transform((value) => (value === undefined ? undefined : isTrue(value)));

/** `IdpRole=ourRole` pairs, comma-separated (e.g. `Admin=admin,Reader=user`). */
const roleMap = csv.transform((pairs, ctx) => {
  // No prototype: an IdP role named "__proto__" or "hasOwnProperty" must not reach Object's.
  const map: Record<string, 'user' | 'admin'> = Object.create(null) as Record<string, 'user' | 'admin'>;
  for (const pair of pairs) {
    const [from, to] = pair.split('=').map((part) => part.trim());
    if (!from || (to !== 'user' && to !== 'admin')) {
      ctx.addIssue({ code: 'custom', message: `expected IdpRole=user|admin pairs, got "${pair}"` });
      return z.NEVER;
    }
    map[from] = to;
  }
  return map;
});

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'expected postgres://user:pass@host:port/db' });
const redisUrl = z.url({ protocol: /^rediss?$/, error: 'expected redis://host:port' });
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/** TRUST_PROXY: false, true, a hop count, or addresses/subnets as Express's `trust proxy` accepts. */
const trustProxy = z
  .string()
  .default('false')
  .transform((value): boolean | number | string => {
    if (value === 'true') return true;
    if (value === 'false' || value === '') return false;
    if (/^\d+$/.test(value)) return Number(value);
    return value;
  });

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    API_HOST: z.string().default('0.0.0.0'),
    API_PORT: int(3000, 0).refine((port) => port <= 65535, 'expected a port number'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    CORS_ORIGINS: csv,
    TRUST_PROXY: trustProxy,
    BODY_LIMIT: z.string().default('1mb'),
    SHUTDOWN_TIMEOUT_MS: int(10_000, 1000),
    SHUTDOWN_DRAIN_MS: int(1000, 0),
    HEALTH_MAX_HEAP_MB: int(448, 16),
    // A second port whose /api/live and /api/ready a worker thread answers (unset: none).
    HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    HEALTH_LOOP_STALL_MS: int(2000, 50),
    // /api/health check details (full) or the bare status (none); unset: none in production.
    HEALTH_DETAILS: z.enum(['full', 'none']).optional(),
    // Swagger UI and /api/docs-json; unset: off in production.
    DOCS_ENABLED: optionalBool,

    DATABASE_URL: postgresUrl.optional(),
    DATABASE_POOL_SIZE: int(10, 1),
    EMBEDDED_DB_DIR: z.string().default('./.data/postgres'),
    REDIS_URL: redisUrl.optional(),
    REDIS_KEY_PREFIX: z.string().default('agent:'),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    IDEMPOTENCY_SWEEP_INTERVAL: int(600, 1),

    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_JWT_SECRET),
    JWT_ISSUER: z.string().default('agent-backend'),
    JWT_AUDIENCE: z.string().default('agent-backend-api'),
    JWT_ACCESS_TTL: duration('15m'),
    JWT_REFRESH_TTL: duration('7d'),
    REFRESH_REUSE_GRACE_SECONDS: int(10, 0),
    ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters').default(DEV_ENCRYPTION_KEY),
    // Secrets written under the previous key stay readable after a rotation (src/common/crypto).
    ENCRYPTION_KEY_PREVIOUS: z.string().min(32, 'must be at least 32 characters').optional(),
    AUTH_COOKIES: bool(true),
    // Only for SSO sign-ins whose email the IdP verified; never for local accounts (README "Security").
    ADMIN_EMAILS: csv,
    // Immutable SSO identities that get the admin role: `{tenant id}/{object id}` (Azure AD) or `{issuer}#{sub}`.
    ADMIN_IDENTITIES: csv,
    // Unset: true, except in production with SSO configured.
    ALLOW_LOCAL_REGISTRATION: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional(),

    // Single sign-on (README "Single sign-on"). Azure AD is enabled by tenant + client id.
    PUBLIC_URL: httpUrl.optional(),
    AZURE_AD_TENANT_ID: z.string().optional(),
    AZURE_AD_CLIENT_ID: z.string().optional(),
    AZURE_AD_CLIENT_SECRET: z.string().optional(),
    AZURE_AD_AUTHORITY: httpUrl.default('https://login.microsoftonline.com'),
    AZURE_AD_SCOPES: z.string().default('openid profile email'),
    AZURE_AD_API_SCOPE: z.string().default('access_as_user'),
    AZURE_AD_ROLE_MAP: roleMap,
    AZURE_AD_GROUP_MAP: roleMap,
    ALLOWED_TENANTS: csv,
    ALLOWED_EMAIL_DOMAINS: csv,
    ALLOWED_EMAILS: csv,
    OIDC_GOOGLE_ISSUER: httpUrl.default('https://accounts.google.com'),
    OIDC_GOOGLE_CLIENT_ID: z.string().optional(),
    OIDC_GOOGLE_CLIENT_SECRET: z.string().optional(),
    OIDC_GOOGLE_SCOPES: z.string().default('openid profile email'),
    SSO_JWKS_COOLDOWN_SECONDS: int(30, 0),
    // Absolute lifetime of an SSO sign-in's refresh tokens: how long a disabled Entra account lives on.
    SSO_REFRESH_TTL: duration('8h'),

    RATE_LIMIT_PER_MINUTE: int(60, 1),
    RATE_LIMIT_AUTH_PER_MINUTE: int(10, 1),
    MAX_CONVERSATIONS_PER_USER: int(1000, 1),
    MAX_CONCURRENT_STREAMS_PER_USER: int(3, 1),

    SUBMIT_WEBHOOK_URL: httpUrl.optional(),

    DEFAULT_MODEL: z.string().regex(/^[\w-]+:.+$/, 'expected provider:model, e.g. openai:gpt-4o-mini').optional(),
    FALLBACK_MODELS: csv,
    // The offline demo model is offered when no provider is configured, or when this is true.
    DEMO_MODEL_ENABLED: bool(false),
    // A new message's reply calls the model directly, the graph only for tool turns (issue 15).
    AGENT_DIRECT_REPLIES: bool(true),
    // Models offered per provider (GET /models); unset: the provider's built-in list.
    OPENAI_MODELS: csv,
    ANTHROPIC_MODELS: csv,
    GEMINI_MODELS: csv,
    GROQ_MODELS: csv,
    OLLAMA_MODELS: csv,
    // `provider:model` lists that override the built-in guess of which models take images.
    VISION_MODELS: csv,
    TEXT_ONLY_MODELS: csv,
    LLM_TIMEOUT_MS: int(60_000, 100),
    OPENAI_API_KEY: z.string().optional(),
    OPENAI_BASE_URL: httpUrl.optional(),
    AZURE_OPENAI_API_KEY: z.string().optional(),
    AZURE_OPENAI_ENDPOINT: httpUrl.optional(),
    AZURE_OPENAI_DEPLOYMENT: z.string().optional(),
    AZURE_OPENAI_API_VERSION: z.string().default('2024-10-21'),
    ANTHROPIC_API_KEY: z.string().optional(),
    GEMINI_API_KEY: z.string().optional(),
    GROQ_API_KEY: z.string().optional(),
    OLLAMA_BASE_URL: httpUrl.optional(),
    CONSENT_TTL: duration('48h'),
    CONSENT_SWEEP_INTERVAL: duration('60s'),
    // A decision whose resume has not started after this long is resumed by the expiry sweep.
    CONSENT_RESUME_GRACE: duration('60s'),
    DEFAULT_MAX_TOKENS_PER_DAY: int(200_000, 0),
    SSE_HEARTBEAT_INTERVAL: duration('15s'),
    // Socket.IO /assistant/realtime: how often connected sockets' sign-ins are re-checked
    // (logout, disabled account), and the per-user connection cap (counted across instances).
    REALTIME_SESSION_CHECK_INTERVAL: duration('5s'),
    REALTIME_MAX_CONNECTIONS_PER_USER: int(5, 1),

    // Runs (DESIGN.md 7b, 7e). APP_ROLE=api starts no workers; worker serves no public routes.
    APP_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
    RUN_WORKERS: int(2, 0),
    RUN_HEARTBEAT_SECONDS: int(30, 10),
    RUN_RETRY_LIMIT: int(2, 0),
    // How often pg-boss looks for jobs and runs its supervisor (missed heartbeats), and how often
    // a running run checks for a cancel and a stream polls for new events.
    RUN_QUEUE_POLL_MS: int(2000, 500),
    RUN_SUPERVISE_SECONDS: int(30, 1),
    RUN_POLL_INTERVAL_MS: int(300, 20),
    // pg-boss's schema; deployments (or test suites) sharing one database keep their queues apart.
    RUN_QUEUE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,49}$/, 'expected a lowercase schema name').default('pgboss'),
    // Settings: per-user api_limits default to these (admins override per user).
    DEFAULT_MAX_SESSIONS: int(100, 0),
    DEFAULT_MAX_RUNS_PER_HOUR: int(50, 0),
    // Mail (README "Accounts"). Unset SMTP_URL outside production: each mail is logged instead.
    SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'expected smtp://user:pass@host:port or smtps://...' }).optional(),
    MAIL_FROM: z.string().default('Agent Backend <no-reply@localhost>'),
    // Base of the links in mail (the web app's page that posts the token); unset: PUBLIC_URL, else http://localhost:API_PORT.
    APP_URL: httpUrl.optional(),
    EMAIL_VERIFY_TTL: duration('24h'),
    PASSWORD_RESET_TTL: duration('1h'),
    // Account mails (verification resend, password reset) per address per hour.
    ACCOUNT_MAIL_PER_HOUR: int(5, 1),
    // API calls are counted in memory and written with one upsert this often (and at shutdown).
    USAGE_FLUSH_INTERVAL: duration('10s'),
    // A token reservation assumes this many output tokens plus the prompt estimate.
    LLM_MAX_OUTPUT_TOKENS: int(4096, 1),
    // Lets user-supplied integration URLs point at private addresses or plain http (tests only).
    WEBHOOK_ALLOW_PRIVATE: bool(false),
    // Notifications (README "Notifications"): a consent reminder this long before expiry (0: none),
    // delivery retries with exponential backoff from the first delay, and the outbound HTTP timeout.
    CONSENT_REMINDER_BEFORE: z
      .string()
      .default('6h')
      .transform((value, ctx) => {
        const seconds = value.trim() === '0' ? 0 : parseDuration(value);
        if (seconds === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected a duration such as 6h or 30m, or 0 for no reminder' });
          return z.NEVER;
        }
        return seconds;
      }),
    NOTIFY_RETRY_LIMIT: int(5, 0),
    NOTIFY_RETRY_DELAY: duration('10s'),
    NOTIFY_RETRY_DELAY_MAX: duration('1h'),
    NOTIFY_HTTP_TIMEOUT_MS: int(10_000, 100),

    // Files (README "Files"): local directory or any S3-compatible store.
    STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
    FILE_STORAGE_DIR: z.string().default('./.data/files'),
    S3_ENDPOINT: httpUrl.optional(),
    S3_BUCKET: z.string().optional(),
    S3_REGION: z.string().default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: z.string().optional(),
    S3_FORCE_PATH_STYLE: bool(false),
    UPLOAD_MAX_BYTES: int(10_485_760, 1),
    UPLOAD_MAX_BYTES_PER_HOUR: int(104_857_600, 1),
    UPLOAD_MAX_FILES: int(10, 1),
    FILE_SHARE_TTL: duration('24h'),
    FILE_SWEEP_INTERVAL: duration('1h'),
    // PDF text extraction runs in a worker thread with these bounds (a hostile PDF costs no more).
    PDF_EXTRACT_TIMEOUT_MS: int(10_000, 100),
    PDF_EXTRACT_MEMORY_MB: int(128, 16),
  })
  .superRefine((env, ctx) => {
    if (env.STORAGE_DRIVER === 's3' && !env.S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'must be set when STORAGE_DRIVER=s3' });
    }
    if (env.NODE_ENV !== 'production') return;
    if (env.JWT_SECRET === DEV_JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'must be set in production' });
    }
    if (env.ENCRYPTION_KEY === DEV_ENCRYPTION_KEY) {
      ctx.addIssue({ code: 'custom', path: ['ENCRYPTION_KEY'], message: 'must be set in production' });
    }
    // Without it the IdP redirect URI would follow the request's Host header.
    if (ssoConfigured(env) && !env.PUBLIC_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'must be set in production when single sign-on is configured' });
    }
    // Verification and reset mails are how local accounts recover; logging them is for development only.
    if (!env.SMTP_URL && localRegistrationAllowed(env)) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'must be set in production when local registration is allowed (ALLOW_LOCAL_REGISTRATION)' });
    }
  });

export type Env = z.infer<typeof envSchema>;

export function ssoConfigured(env: Pick<Env, 'AZURE_AD_TENANT_ID' | 'AZURE_AD_CLIENT_ID' | 'OIDC_GOOGLE_CLIENT_ID'>): boolean {
  return Boolean((env.AZURE_AD_TENANT_ID && env.AZURE_AD_CLIENT_ID) || env.OIDC_GOOGLE_CLIENT_ID);
}

/** ALLOW_LOCAL_REGISTRATION; unset: true, except in production with SSO configured. */
export function localRegistrationAllowed(
  env: Pick<Env, 'NODE_ENV' | 'ALLOW_LOCAL_REGISTRATION' | 'AZURE_AD_TENANT_ID' | 'AZURE_AD_CLIENT_ID' | 'OIDC_GOOGLE_CLIENT_ID'>,
): boolean {
  if (env.ALLOW_LOCAL_REGISTRATION === undefined) return !(env.NODE_ENV === 'production' && ssoConfigured(env));
  return ['true', '1', 'yes'].includes(env.ALLOW_LOCAL_REGISTRATION);
}

export class InvalidEnvironmentError extends Error {}

/** Validates the environment; the message names every bad variable. Empty strings count as unset. */
export function validateEnv(raw: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined && value !== ''));
  const result = envSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new InvalidEnvironmentError(`Invalid environment configuration:\n${problems.join('\n')}`);
}
