import { createSecretKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Env, validateEnv } from './env.schema';
import { buildSsoConfig, SsoConfig } from './sso-config';

/**
 * The one typed configuration object. It is built once from the validated environment and
 * injected everywhere (`constructor(private readonly config: AppConfig)`); nothing else reads
 * `process.env`.
 */
export class AppConfig {
  readonly nodeEnv: Env['NODE_ENV'];
  readonly isProduction: boolean;
  readonly http: {
    host: string;
    port: number;
    corsOrigins: string[];
    trustProxy: boolean | number | string;
    bodyLimit: string;
  };
  readonly log: { level: Env['LOG_LEVEL'] };
  readonly shutdownTimeoutMs: number;
  /** /api/health reports memory down above this heap use. */
  readonly healthMaxHeapMb: number;
  readonly database: { url?: string; poolSize: number; embeddedDir: string };
  readonly redisUrl?: string;
  /** Namespaces every key this service writes to Redis (several deployments can share one). */
  readonly redisKeyPrefix: string;
  /** Azure AD and other OpenID Connect sign-in (see sso-config.ts). */
  readonly sso: SsoConfig;
  readonly auth: {
    jwtSecret: string;
    /** JWT_SECRET as a KeyObject: jsonwebtoken handles a string secret ~40x slower per sign/verify. */
    jwtKey: KeyObject;
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    refreshReuseGraceSeconds: number;
    cookies: boolean;
    adminEmails: string[];
  };
  readonly encryptionKey: string;
  readonly rateLimit: { perMinute: number; authPerMinute: number };
  readonly submitWebhookUrl?: string;
  readonly llm: {
    /** `provider:model`; unset: the first configured provider's default, or the demo model. */
    defaultModel?: string;
    fallbackModels: string[];
    timeoutMs: number;
    openai: { apiKey?: string; baseUrl?: string };
    azureOpenai: { apiKey?: string; endpoint?: string; deployment?: string; apiVersion: string };
    anthropic: { apiKey?: string };
    google: { apiKey?: string };
    groq: { apiKey?: string };
    ollama: { baseUrl?: string };
  };
  readonly chat: {
    consentTtlSeconds: number;
    consentSweepIntervalSeconds: number;
    maxTokensPerDay: number;
    heartbeatSeconds: number;
  };
  readonly realtime: { sessionCheckSeconds: number; maxConnectionsPerUser: number };
  readonly role: Env['APP_ROLE'];
  readonly runs: {
    workers: number;
    heartbeatSeconds: number;
    retryLimit: number;
    queuePollMs: number;
    superviseSeconds: number;
    pollIntervalMs: number;
    queueSchema: string;
  };
  /** Per-user limits until a Settings module stores them per user (0 = unlimited). */
  readonly limits: { maxSessions: number; maxRunsPerHour: number };

  constructor(env: Env) {
    this.nodeEnv = env.NODE_ENV;
    this.isProduction = env.NODE_ENV === 'production';
    this.http = {
      host: env.API_HOST,
      port: env.API_PORT,
      corsOrigins: env.CORS_ORIGINS,
      trustProxy: env.TRUST_PROXY,
      bodyLimit: env.BODY_LIMIT,
    };
    this.log = { level: env.LOG_LEVEL };
    this.shutdownTimeoutMs = env.SHUTDOWN_TIMEOUT_MS;
    this.healthMaxHeapMb = env.HEALTH_MAX_HEAP_MB;
    this.database = { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, embeddedDir: env.EMBEDDED_DB_DIR };
    this.redisUrl = env.REDIS_URL;
    this.redisKeyPrefix = env.REDIS_KEY_PREFIX;
    this.sso = buildSsoConfig(env);
    this.auth = {
      jwtSecret: env.JWT_SECRET,
      jwtKey: createSecretKey(Buffer.from(env.JWT_SECRET)),
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTtlSeconds: env.JWT_ACCESS_TTL,
      refreshTtlSeconds: env.JWT_REFRESH_TTL,
      refreshReuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
      cookies: env.AUTH_COOKIES,
      adminEmails: env.ADMIN_EMAILS.map((email) => email.toLowerCase()),
    };
    this.encryptionKey = env.ENCRYPTION_KEY;
    this.rateLimit = { perMinute: env.RATE_LIMIT_PER_MINUTE, authPerMinute: env.RATE_LIMIT_AUTH_PER_MINUTE };
    this.submitWebhookUrl = env.SUBMIT_WEBHOOK_URL;
    this.llm = {
      defaultModel: env.DEFAULT_MODEL,
      fallbackModels: env.FALLBACK_MODELS,
      timeoutMs: env.LLM_TIMEOUT_MS,
      openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL },
      azureOpenai: {
        apiKey: env.AZURE_OPENAI_API_KEY,
        endpoint: env.AZURE_OPENAI_ENDPOINT,
        deployment: env.AZURE_OPENAI_DEPLOYMENT,
        apiVersion: env.AZURE_OPENAI_API_VERSION,
      },
      anthropic: { apiKey: env.ANTHROPIC_API_KEY },
      google: { apiKey: env.GEMINI_API_KEY },
      groq: { apiKey: env.GROQ_API_KEY },
      ollama: { baseUrl: env.OLLAMA_BASE_URL },
    };
    this.chat = {
      consentTtlSeconds: env.CONSENT_TTL,
      consentSweepIntervalSeconds: env.CONSENT_SWEEP_INTERVAL,
      maxTokensPerDay: env.DEFAULT_MAX_TOKENS_PER_DAY,
      heartbeatSeconds: env.SSE_HEARTBEAT_INTERVAL,
    };
    this.realtime = {
      sessionCheckSeconds: env.REALTIME_SESSION_CHECK_INTERVAL,
      maxConnectionsPerUser: env.REALTIME_MAX_CONNECTIONS_PER_USER,
    };
    this.role = env.APP_ROLE;
    this.runs = {
      workers: env.APP_ROLE === 'api' ? 0 : env.RUN_WORKERS,
      heartbeatSeconds: env.RUN_HEARTBEAT_SECONDS,
      retryLimit: env.RUN_RETRY_LIMIT,
      queuePollMs: env.RUN_QUEUE_POLL_MS,
      superviseSeconds: env.RUN_SUPERVISE_SECONDS,
      pollIntervalMs: env.RUN_POLL_INTERVAL_MS,
      queueSchema: env.RUN_QUEUE_SCHEMA,
    };
    this.limits = { maxSessions: env.DEFAULT_MAX_SESSIONS, maxRunsPerHour: env.DEFAULT_MAX_RUNS_PER_HOUR };
  }

  /** A copy with some values replaced; tests use it to boot an app with other settings. */
  with(overrides: Partial<Record<keyof Env, string>>, env: NodeJS.ProcessEnv = process.env): AppConfig {
    return new AppConfig(validateEnv({ ...env, ...overrides }));
  }
}

/**
 * Reads `.env` (if present, without overriding real variables) and validates the environment.
 * Throws `InvalidEnvironmentError` naming each bad variable.
 */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env, envFile = '.env'): AppConfig {
  if (env === process.env && existsSync(envFile)) process.loadEnvFile(envFile);
  return new AppConfig(validateEnv(env));
}
