import { MigrationInterface, QueryRunner } from 'typeorm';

export class EmailVerificationAndPasswordReset1764000006100 implements MigrationInterface {
  name = 'EmailVerificationAndPasswordReset1764000006100';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Existing accounts start unverified: SSO ones take their IdP's flag at the next sign-in.
    await queryRunner.query(`ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false`);
    // Single-use mail tokens (verification, password reset); only the SHA-256 of a token is kept.
    await queryRunner.query(`
      CREATE TABLE email_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose varchar(32) NOT NULL CONSTRAINT email_tokens_purpose_check CHECK (purpose IN ('verify_email', 'reset_password')),
        token_hash char(64) NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX email_tokens_token_hash_key ON email_tokens (token_hash)`);
    await queryRunner.query(`CREATE INDEX email_tokens_user_id_idx ON email_tokens (user_id, purpose)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE email_tokens`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN email_verified`);
  }
}
