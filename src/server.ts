import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import pino from 'pino';
import { AppModule, AppModuleOptions } from './app.module';
import { configureApp } from './app.setup';
import { notFoundHandler } from './common/errors/http-exception.filter';
import { ShutdownService } from './common/lifecycle/shutdown.service';
import { AppConfig } from './config/app-config';
import { EmbeddedPostgres } from './database/embedded/embedded-postgres';

export interface RunningServer {
  app: NestExpressApplication;
  url: string;
  /** Graceful stop: readiness 503, long-lived connections closed, in-flight requests drained. */
  stop(): Promise<void>;
}


/** Creates and configures the Nest app against a database URL (no listening, no embedded DB). */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  imports: AppModuleOptions['imports'] = [],
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, databaseUrl, imports }), {
    bodyParser: false,
    bufferLogs: true,
  });
  configureApp(app, config);
  // After init, so it runs after every route Nest registered.
  await app.init();
  app.use(notFoundHandler);
  return app;
}

/** Starts the embedded PostgreSQL when DATABASE_URL is unset, then the app, then listens. */
export async function startServer(config: AppConfig, imports: AppModuleOptions['imports'] = []): Promise<RunningServer> {
  // Nest's logger does not exist yet while the database starts; same JSON format, same level.
  const logger = pino({ level: config.log.level, base: { context: 'Server' } });
  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    logger.info(`DATABASE_URL is not set: starting embedded PostgreSQL in ${config.database.embeddedDir}`);
    embedded = await EmbeddedPostgres.start(config.database.embeddedDir, (line) => logger.debug(line));
    logger.info(`Embedded PostgreSQL ready on 127.0.0.1:${embedded.port} (data in ${embedded.dataDir})`);
    databaseUrl = embedded.url();
  }

  let app: NestExpressApplication;
  try {
    app = await createApp(config, databaseUrl, imports);
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const server = app.getHttpServer() as Server;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const url = `http://127.0.0.1:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await app.get(ShutdownService).beginShutdown();
      // Readiness is 503 now; keep accepting a moment so requests already routed here (and the
      // load balancer's next probe) are served rather than refused or reset.
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
      // Stop accepting and let in-flight requests finish before Nest closes the database pool.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      await embedded?.stop();
    })());

  return { app, url, stop };
}
