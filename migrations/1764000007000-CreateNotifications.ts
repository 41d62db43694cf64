import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateNotifications1764000007000 implements MigrationInterface {
  name = 'CreateNotifications1764000007000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Approve/reject links sent outside the app; only the SHA-256 of a token is kept.
    await queryRunner.query(`
      CREATE TABLE consent_links (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        consent_request_id uuid NOT NULL REFERENCES consent_requests(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        decision varchar(8) NOT NULL CONSTRAINT consent_links_decision_check CHECK (decision IN ('approve', 'reject')),
        token_hash char(64) NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX consent_links_token_hash_key ON consent_links (token_hash)`);
    await queryRunner.query(`CREATE INDEX consent_links_consent_request_id_idx ON consent_links (consent_request_id)`);
    await queryRunner.query(`
      CREATE TABLE notification_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind varchar(32) NOT NULL CONSTRAINT notification_deliveries_kind_check
          CHECK (kind IN ('consent_request', 'consent_reminder', 'consent_expired', 'run_completed')),
        channel varchar(16) NOT NULL CONSTRAINT notification_deliveries_channel_check CHECK (channel IN ('email', 'slack', 'webhook')),
        subject_id uuid NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'queued'
          CONSTRAINT notification_deliveries_status_check CHECK (status IN ('queued', 'retrying', 'sent', 'failed', 'skipped')),
        attempts int NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX notification_deliveries_user_id_idx ON notification_deliveries (user_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE notification_deliveries`);
    await queryRunner.query(`DROP TABLE consent_links`);
  }
}
