import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddSsoIdentitiesStatesAndCodes1764000000100 implements MigrationInterface {
  name = 'AddSsoIdentitiesStatesAndCodes1764000000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    // An SSO identity is (issuer, subject): for Azure AD the tenant's issuer (which embeds `tid`)
    // and the object id `oid`; for other OpenID providers their issuer and `sub`. Never the email.
    await queryRunner.query(`
      ALTER TABLE users
        ADD COLUMN external_issuer varchar(512),
        ADD COLUMN external_tenant_id varchar(64),
        ADD COLUMN external_subject varchar(255)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX users_external_identity_key ON users (external_issuer, external_subject) WHERE external_subject IS NOT NULL`,
    );

    // A sign-in in progress: single use (consumed by one DELETE ... RETURNING), 10 minutes.
    await queryRunner.query(`
      CREATE TABLE auth_states (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        state_hash char(64) NOT NULL,
        provider varchar(32) NOT NULL,
        nonce varchar(128) NOT NULL,
        code_verifier varchar(128) NOT NULL,
        callback_url text NOT NULL,
        redirect_url text,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX auth_states_state_hash_key ON auth_states (state_hash)`);
    await queryRunner.query(`CREATE INDEX auth_states_expires_at_idx ON auth_states (expires_at)`);

    // One-time codes handed to the app after a browser sign-in: single use, 60 seconds.
    await queryRunner.query(`
      CREATE TABLE auth_codes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code_hash char(64) NOT NULL,
        user_id uuid NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT auth_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX auth_codes_code_hash_key ON auth_codes (code_hash)`);
    await queryRunner.query(`CREATE INDEX auth_codes_user_id_idx ON auth_codes (user_id)`);
    await queryRunner.query(`CREATE INDEX auth_codes_expires_at_idx ON auth_codes (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE auth_codes`);
    await queryRunner.query(`DROP TABLE auth_states`);
    await queryRunner.query(`DROP INDEX users_external_identity_key`);
    await queryRunner.query(`
      ALTER TABLE users DROP COLUMN external_subject, DROP COLUMN external_tenant_id, DROP COLUMN external_issuer`);
  }
}
