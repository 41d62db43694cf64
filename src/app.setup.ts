import { INestApplication, VERSION_NEUTRAL, VersioningType } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { json, urlencoded } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { expressErrorHandler } from './common/errors/http-exception.filter';
import { inputGuard } from './common/http/input-guard';
import { requestIdMiddleware } from './common/http/request-id';
import { finalizeOpenApiDocument, openApiConfig } from './common/openapi/openapi-document';
import { AppConfig } from './config/app-config';
import { liveProbe } from './modules/health/live-probe';
import { RealtimeIoAdapter } from './modules/realtime/realtime-io.adapter';

export const API_PREFIX = 'api';

/**
 * Everything that turns a Nest app into this API. main.ts and the test harness both call it,
 * so tests exercise exactly the middleware production runs. The app must be created with
 * `{ bodyParser: false, bufferLogs: true }`.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');

  app.use(requestIdMiddleware);
  app.use(helmet());
  app.enableCors({
    origin: config.http.corsOrigins.length > 0 ? config.http.corsOrigins : false,
    credentials: true,
    exposedHeaders: ['X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'],
  });
  // Probes need nothing below this line (parsers, Nest's guards and interceptors, the access log).
  app.use(liveProbe);
  app.use(json({ limit: config.http.bodyLimit }));
  app.use(urlencoded({ extended: false, limit: config.http.bodyLimit }));
  app.use(inputGuard);
  app.use(cookieParser());
  app.use(expressErrorHandler);

  configureRouting(app);
  app.useWebSocketAdapter(new RealtimeIoAdapter(app, config));

  // Off by default in production (DOCS_ENABLED): the spec maps every route for an attacker.
  if (config.docsEnabled) {
    SwaggerModule.setup(`${API_PREFIX}/docs`, app, () => createOpenApiDocument(app), {
      jsonDocumentUrl: `${API_PREFIX}/docs-json`,
    });
  }
}

/**
 * /api prefix, /api/v1 for versioned routes, and every route also unversioned (/api/sessions,
 * as seed 003's clients call it); /metrics stays at the root. The spec lists each path once.
 */
export function configureRouting(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, { exclude: ['metrics'] });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: [VERSION_NEUTRAL, '1'] });
}

/** The spec of every route, with the shared parts (security, envelopes, errors) applied once. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  return finalizeOpenApiDocument(SwaggerModule.createDocument(app, openApiConfig()));
}
