import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { InvalidEnvironmentError } from './config/env.schema';
import { EmbeddedPostgresError } from './database/embedded/embedded-postgres';
import { loadAppConfig } from './config/app-config';
import { startServer } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAppConfig();
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const server = await startServer(config);
  const { app } = server;
  app.get(Logger).log(`Listening on ${server.url} (docs at ${server.url}/api/docs)`);

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    app.get(Logger).log(`${signal} received: shutting down`);
    // A hung connection must not keep the process past the deadline orchestrators allow.
    setTimeout(() => {
      process.stderr.write('Graceful shutdown timed out; exiting\n');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((error: unknown) => {
  // An embedded database failure is the user's to fix (a setting), so it gets one line, no stack.
  const detail = error instanceof EmbeddedPostgresError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`Failed to start: ${detail}\n`);
  process.exit(1);
});
