import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIdempotencyKeys1764000002000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1764000002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per (user, method + route, key): INSERT ... ON CONFLICT claims it, so two
    // instances receiving the same retry cannot both run it.
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        scope varchar(300) NOT NULL,
        key varchar(255) NOT NULL,
        request_hash char(64) NOT NULL,
        state varchar(16) NOT NULL CHECK (state IN ('processing', 'streaming', 'completed')),
        response_status smallint,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT idempotency_keys_user_scope_key UNIQUE (user_id, scope, key)
      )`);
    await queryRunner.query(`CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_keys`);
  }
}
