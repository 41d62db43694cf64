import { createSecretKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Env, localRegistrationAllowed, validateEnv } from './env.schema';
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
  /** After SIGTERM, how long the listener stays open (readiness already 503) so load balancers stop routing first. */
  readonly shutdownDrainMs: number;
  /** /api/health reports memory down above this heap use. */
  readonly healthMaxHeapMb: number;
  /** `full`: /api/health shows each check; `none`: only the overall status. */
  readonly healthDetails: 'full' | 'none';
  /** HEALTH_PORT's probes (health/probe-port.ts): readiness fails once the main loop is stalled this long. */
  readonly probes: { port?: number; loopStallMs: number };
  readonly docsEnabled: boolean;
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
    /** Absolute lifetime of an SSO sign-in (refresh family): the IdP is asked again after it. */
    ssoRefreshTtlSeconds: number;
    refreshReuseGraceSeconds: number;
    cookies: boolean;
    /** Applies to SSO sign-ins with an IdP-verified email only. */
    adminEmails: string[];
    /** `{tenant id}/{object id}` or `{issuer}#{sub}`. */
    adminIdentities: string[];
    allowLocalRegistration: boolean;
  };
  /** No smtpUrl: mails are logged (development and tests only; production refuses to start). */
  readonly mail: { smtpUrl?: string; from: string };
  readonly accounts: {
    /** Base of links in mail, without a trailing slash. */
    appUrl: string;
    verifyTtlSeconds: number;
    resetTtlSeconds: number;
    mailsPerHour: number;
  };
  readonly usage: { flushIntervalSeconds: number };
  readonly encryptionKey: string;
  /** The key before the last rotation: secrets it sealed stay readable. */
  readonly encryptionKeyPrevious?: string;
  readonly rateLimit: { perMinute: number; authPerMinute: number };
  readonly limits: { maxConversationsPerUser: number; maxConcurrentStreamsPerUser: number };
  readonly submitWebhookUrl?: string;
  readonly llm: {
    /** `provider:model`; unset: the first configured provider's default, or the demo model. */
    defaultModel?: string;
    fallbackModels: string[];
    /** Overrides of the built-in guess of which models take images (`provider:model`). */
    visionModels: string[];
    textOnlyModels: string[];
    /** Offer the offline demo model even though a provider is configured. */
    demoEnabled: boolean;
    /** Replies to a new message call the model without the agent graph until it calls a tool. */
    directReplies: boolean;
    timeoutMs: number;
    openai: { apiKey?: string; baseUrl?: string; models: string[] };
    azureOpenai: { apiKey?: string; endpoint?: string; deployment?: string; apiVersion: string };
    anthropic: { apiKey?: string; models: string[] };
    google: { apiKey?: string; models: string[] };
    groq: { apiKey?: string; models: string[] };
    ollama: { baseUrl?: string; models: string[] };
  };
  readonly chat: {
    consentTtlSeconds: number;
    consentSweepIntervalSeconds: number;
    consentResumeGraceSeconds: number;
    maxTokensPerDay: number;
    heartbeatSeconds: number;
  };
  readonly realtime: { sessionCheckSeconds: number; maxConnectionsPerUser: number };
  /** GET /metrics asks for this bearer token when set. */
  readonly metricsToken?: string;
  /** How often expired Idempotency-Key records are deleted. */
  readonly idempotencySweepSeconds: number;
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
  /** Per-user api_limits when an admin set none (Settings). */
  readonly defaultApiLimits: { maxSessions: number; maxRunsPerHour: number; maxTokensPerDay: number };
  readonly llmMaxOutputTokens: number;
  readonly webhookAllowPrivate: boolean;
  /** Consent and run notifications (email, Slack, signed webhook); delivered by the run workers. */
  readonly notifications: {
    /** Base of the approve/reject links (an API route): PUBLIC_URL, else the mail links' base. */
    linkBaseUrl: string;
    /** 0: no reminder. */
    consentReminderBeforeSeconds: number;
    retryLimit: number;
    retryDelaySeconds: number;
    retryDelayMaxSeconds: number;
    httpTimeoutMs: number;
  };
  readonly files: {
    driver: 'local' | 's3';
    dir: string;
    s3: { endpoint?: string; bucket?: string; region: string; accessKeyId?: string; secretAccessKey?: string; forcePathStyle: boolean };
    maxBytesPerRequest: number;
    maxBytesPerHour: number;
    maxFilesPerRequest: number;
    shareTtlSeconds: number;
    sweepIntervalSeconds: number;
    /** Bounds of one PDF text extraction (its own worker thread). */
    pdf: { timeoutMs: number; memoryMb: number };
  };

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
    this.shutdownDrainMs = env.SHUTDOWN_DRAIN_MS;
    this.healthMaxHeapMb = env.HEALTH_MAX_HEAP_MB;
    // Production hides what an attacker could map the deployment with, unless asked otherwise.
    this.healthDetails = env.HEALTH_DETAILS ?? (this.isProduction ? 'none' : 'full');
    this.probes = { port: env.HEALTH_PORT, loopStallMs: env.HEALTH_LOOP_STALL_MS };
    this.docsEnabled = env.DOCS_ENABLED ?? !this.isProduction;
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
      ssoRefreshTtlSeconds: env.SSO_REFRESH_TTL,
      refreshReuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
      cookies: env.AUTH_COOKIES,
      adminEmails: env.ADMIN_EMAILS.map((email) => email.toLowerCase()),
      adminIdentities: env.ADMIN_IDENTITIES,
      allowLocalRegistration: localRegistrationAllowed(env),
    };
    this.mail = { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM };
    this.accounts = {
      appUrl: (env.APP_URL ?? env.PUBLIC_URL ?? `http://localhost:${env.API_PORT}`).replace(/\/+$/, ''),
      verifyTtlSeconds: env.EMAIL_VERIFY_TTL,
      resetTtlSeconds: env.PASSWORD_RESET_TTL,
      mailsPerHour: env.ACCOUNT_MAIL_PER_HOUR,
    };
    this.usage = { flushIntervalSeconds: env.USAGE_FLUSH_INTERVAL };
    this.encryptionKey = env.ENCRYPTION_KEY;
    this.encryptionKeyPrevious = env.ENCRYPTION_KEY_PREVIOUS;
    this.rateLimit = { perMinute: env.RATE_LIMIT_PER_MINUTE, authPerMinute: env.RATE_LIMIT_AUTH_PER_MINUTE };
    this.limits = {
      maxConversationsPerUser: env.MAX_CONVERSATIONS_PER_USER,
      maxConcurrentStreamsPerUser: env.MAX_CONCURRENT_STREAMS_PER_USER,
    };
    this.submitWebhookUrl = env.SUBMIT_WEBHOOK_URL;
    this.llm = {
      defaultModel: env.DEFAULT_MODEL,
      fallbackModels: env.FALLBACK_MODELS,
      visionModels: env.VISION_MODELS,
      textOnlyModels: env.TEXT_ONLY_MODELS,
      demoEnabled: env.DEMO_MODEL_ENABLED,
      directReplies: env.AGENT_DIRECT_REPLIES,
      timeoutMs: env.LLM_TIMEOUT_MS,
      openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, models: env.OPENAI_MODELS },
      azureOpenai: {
        apiKey: env.AZURE_OPENAI_API_KEY,
        endpoint: env.AZURE_OPENAI_ENDPOINT,
        deployment: env.AZURE_OPENAI_DEPLOYMENT,
        apiVersion: env.AZURE_OPENAI_API_VERSION,
      },
      anthropic: { apiKey: env.ANTHROPIC_API_KEY, models: env.ANTHROPIC_MODELS },
      google: { apiKey: env.GEMINI_API_KEY, models: env.GEMINI_MODELS },
      groq: { apiKey: env.GROQ_API_KEY, models: env.GROQ_MODELS },
      ollama: { baseUrl: env.OLLAMA_BASE_URL, models: env.OLLAMA_MODELS },
    };
    this.chat = {
      consentTtlSeconds: env.CONSENT_TTL,
      consentSweepIntervalSeconds: env.CONSENT_SWEEP_INTERVAL,
      consentResumeGraceSeconds: env.CONSENT_RESUME_GRACE,
      maxTokensPerDay: env.DEFAULT_MAX_TOKENS_PER_DAY,
      heartbeatSeconds: env.SSE_HEARTBEAT_INTERVAL,
    };
    this.realtime = {
      sessionCheckSeconds: env.REALTIME_SESSION_CHECK_INTERVAL,
      maxConnectionsPerUser: env.REALTIME_MAX_CONNECTIONS_PER_USER,
    };
    this.metricsToken = env.METRICS_TOKEN;
    this.idempotencySweepSeconds = env.IDEMPOTENCY_SWEEP_INTERVAL;
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
    this.defaultApiLimits = {
      maxSessions: env.DEFAULT_MAX_SESSIONS,
      maxRunsPerHour: env.DEFAULT_MAX_RUNS_PER_HOUR,
      maxTokensPerDay: env.DEFAULT_MAX_TOKENS_PER_DAY,
    };
    this.llmMaxOutputTokens = env.LLM_MAX_OUTPUT_TOKENS;
    this.webhookAllowPrivate = env.WEBHOOK_ALLOW_PRIVATE;
    this.notifications = {
      linkBaseUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, '') : this.accounts.appUrl,
      consentReminderBeforeSeconds: env.CONSENT_REMINDER_BEFORE,
      retryLimit: env.NOTIFY_RETRY_LIMIT,
      retryDelaySeconds: env.NOTIFY_RETRY_DELAY,
      retryDelayMaxSeconds: env.NOTIFY_RETRY_DELAY_MAX,
      httpTimeoutMs: env.NOTIFY_HTTP_TIMEOUT_MS,
    };
    this.files = {
      driver: env.STORAGE_DRIVER,
      dir: env.FILE_STORAGE_DIR,
      s3: {
        endpoint: env.S3_ENDPOINT,
        bucket: env.S3_BUCKET,
        region: env.S3_REGION,
        accessKeyId: env.S3_ACCESS_KEY_ID,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY,
        forcePathStyle: env.S3_FORCE_PATH_STYLE,
      },
      maxBytesPerRequest: env.UPLOAD_MAX_BYTES,
      maxBytesPerHour: env.UPLOAD_MAX_BYTES_PER_HOUR,
      maxFilesPerRequest: env.UPLOAD_MAX_FILES,
      shareTtlSeconds: env.FILE_SHARE_TTL,
      sweepIntervalSeconds: env.FILE_SWEEP_INTERVAL,
      pdf: { timeoutMs: env.PDF_EXTRACT_TIMEOUT_MS, memoryMb: env.PDF_EXTRACT_MEMORY_MB },
    };
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
