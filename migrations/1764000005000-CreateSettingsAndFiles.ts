import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSettingsAndFiles1764000005000 implements MigrationInterface {
  name = 'CreateSettingsAndFiles1764000005000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // api_limits holds only what an admin set; missing keys fall back to configuration.
    // integrations keeps secrets sealed by SecretBox (`v1.<key id>...`), never plaintext.
    await queryRunner.query(`
      CREATE TABLE user_settings (
        user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        preferences jsonb NOT NULL DEFAULT '{}',
        api_limits jsonb NOT NULL DEFAULT '{}',
        integrations jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // Rows go with their conversation; the storage objects are removed by the service first,
    // and the sweep catches any left behind.
    await queryRunner.query(`
      CREATE TABLE files (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        conversation_id uuid REFERENCES conversations(id) ON DELETE CASCADE,
        filename varchar(255) NOT NULL,
        content_type varchar(127) NOT NULL,
        size bigint NOT NULL,
        sha256 char(64) NOT NULL,
        storage_key varchar(512) NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX files_user_id_idx ON files (user_id)`);
    await queryRunner.query(`CREATE INDEX files_conversation_idx ON files (conversation_id, created_at)`);

    // Bytes uploaded, kept after the files are deleted: the hourly quota counts what was sent.
    await queryRunner.query(`
      CREATE TABLE upload_usage (
        id bigserial PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        bytes bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX upload_usage_user_idx ON upload_usage (user_id, created_at)`);

    await queryRunner.query(`
      CREATE TABLE file_shares (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        file_id uuid NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL UNIQUE,
        single_use boolean NOT NULL DEFAULT false,
        used_at timestamptz,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX file_shares_user_id_idx ON file_shares (user_id)`);
    await queryRunner.query(`CREATE INDEX file_shares_file_idx ON file_shares (file_id)`);

    // Tokens promised to model calls still running: the daily budget counts them, so concurrent
    // calls cannot together overshoot it.
    await queryRunner.query(`ALTER TABLE usage_daily ADD COLUMN reserved_tokens bigint NOT NULL DEFAULT 0`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE usage_daily DROP COLUMN reserved_tokens`);
    await queryRunner.query(`DROP TABLE file_shares`);
    await queryRunner.query(`DROP TABLE upload_usage`);
    await queryRunner.query(`DROP TABLE files`);
    await queryRunner.query(`DROP TABLE user_settings`);
  }
}
