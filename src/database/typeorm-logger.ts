import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';

/**
 * Routes TypeORM's messages into the app's structured log. Query parameters are never logged:
 * they carry password hashes, token hashes and user content.
 */
export class TypeOrmLogger implements Logger {
  private readonly logger = new NestLogger('TypeORM');

  logQuery(): void {
    // Every query at info level would drown the log; failures and slow queries are logged below.
  }

  logQueryError(error: string | Error, query: string): void {
    this.logger.error({ query, error: error instanceof Error ? error.message : error }, 'Query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ query, duration_ms: time }, 'Slow query');
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    // TypeORM's info lines (entity globs, migration counts) are start-up chatter.
    if (level === 'warn') this.logger.warn(message);
    else this.logger.debug(message);
  }
}
