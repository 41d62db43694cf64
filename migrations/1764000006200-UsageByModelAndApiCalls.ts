import { MigrationInterface, QueryRunner } from 'typeorm';

export class UsageByModelAndApiCalls1764000006200 implements MigrationInterface {
  name = 'UsageByModelAndApiCalls1764000006200';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Beside usage_daily (which the daily token budget reads): the same tokens split by model.
    await queryRunner.query(`
      CREATE TABLE usage_daily_models (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        day date NOT NULL,
        model varchar(200) NOT NULL,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        total_tokens bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day, model)
      )`);
    // API calls per user, UTC day and route template, written in batches (never a row per request).
    await queryRunner.query(`
      CREATE TABLE api_calls_daily (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        day date NOT NULL,
        method varchar(10) NOT NULL,
        route varchar(300) NOT NULL,
        calls bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day, method, route)
      )`);
    // Admin reports span every user over a date range.
    await queryRunner.query(`CREATE INDEX usage_daily_models_day_idx ON usage_daily_models (day)`);
    await queryRunner.query(`CREATE INDEX api_calls_daily_day_idx ON api_calls_daily (day)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_calls_daily`);
    await queryRunner.query(`DROP TABLE usage_daily_models`);
  }
}
