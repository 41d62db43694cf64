import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import { AppModule } from './app.module';
import { configureRouting, createOpenApiDocument } from './app.setup';
import { AppConfig } from './config/app-config';
import { validateEnv } from './config/env.schema';

/**
 * Writes the OpenAPI spec without a database: preview mode builds the route table only.
 * Run from the compiled dist/ (the Swagger CLI plugin documents DTOs at build time).
 */
async function main(): Promise<void> {
  const target = process.argv[2] ?? 'openapi.json';
  const config = new AppConfig(validateEnv({ NODE_ENV: 'development', LOG_LEVEL: 'silent' }));
  const app = await NestFactory.create(AppModule.forRoot({ config, databaseUrl: 'postgres://unused/unused' }), {
    preview: true,
    logger: false,
  });
  configureRouting(app);
  const document = createOpenApiDocument(app);
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  await app.close();
  process.stdout.write(`Wrote ${target}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
