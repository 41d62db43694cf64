import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import passport from 'passport';
import request from 'supertest';
import { AppConfig } from '../../src/config/app-config';
import { validateEnv, type Env } from '../../src/config/env.schema';
import type { AppModuleOptions } from '../../src/app.module';
import { ShutdownService } from '../../src/common/lifecycle/shutdown.service';
import { createApp } from '../../src/server';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** Base URL of the listening server (real HTTP on 127.0.0.1). */
  url: string;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

const openApps: Array<Record<string, unknown>> = [];
const passportRegistry = () => (passport as unknown as { _strategies: Record<string, unknown> })._strategies;

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DB_URL;
  if (!url) throw new Error('TEST_DB_URL is not set: run the suites through jest (test/global-setup.ts)');
  return url;
}

/** The configuration tests run with, plus overrides (string values, as in the environment). */
export function testConfig(overrides: Partial<Record<keyof Env, string>> = {}): AppConfig {
  return new AppConfig(
    validateEnv({
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      CORS_ORIGINS: 'http://localhost:5173',
      // Suites share 127.0.0.1; the rate-limit suite sets its own small limits.
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_AUTH_PER_MINUTE: '100000',
      // Every suite's apps live in one jest process, whose heap is not a server's.
      HEALTH_MAX_HEAP_MB: '16384',
      // No run workers unless a suite asks (test/runs): they would poll the shared queue.
      RUN_WORKERS: '0',
      ...overrides,
    }),
  );
}

/** Boots the real app (same setup as main.ts) against the run's test database, on a free port. */
export async function createTestApp(
  overrides: Partial<Record<keyof Env, string>> = {},
  imports: AppModuleOptions['imports'] = [],
): Promise<TestApp> {
  const config = testConfig(overrides);
  const app = await createApp(config, testDatabaseUrl(), imports);
  await app.listen(0, '127.0.0.1');
  const address = (app.getHttpServer() as Server).address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  // Passport keeps strategies in one process-wide registry: the app created last owns them.
  // When a suite closes one app and keeps using another, hand them back to the survivor.
  const strategies = { ...passportRegistry() };
  openApps.push(strategies);
  // Like production: stop replies and streams first, then close.
  const close = async () => {
    await app.get(ShutdownService).beginShutdown();
    await app.close();
    openApps.splice(openApps.indexOf(strategies), 1);
    const survivor = openApps.at(-1);
    if (survivor) Object.assign(passportRegistry(), survivor);
  };
  return { app, config, url, http: () => request(url), close };
}
