import { MigrationInterface, QueryRunner } from 'typeorm';

export class RefreshFamiliesAndSsoBinding1764000003100 implements MigrationInterface {
  name = 'RefreshFamiliesAndSsoBinding1764000003100';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per sign-in. Rotation and logout lock it (SELECT ... FOR UPDATE), so a logout can
    // never lose to a concurrent refresh; expires_at bounds SSO sign-ins (SSO_REFRESH_TTL).
    await queryRunner.query(`
      CREATE TABLE refresh_families (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT refresh_families_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX refresh_families_user_id_idx ON refresh_families (user_id)`);
    // Existing sign-ins: live while any of their tokens is (the rule the old lookup applied).
    await queryRunner.query(`
      INSERT INTO refresh_families (id, user_id, revoked_at, created_at)
      SELECT family_id, (array_agg(user_id))[1],
             CASE WHEN bool_and(revoked_at IS NOT NULL) THEN max(revoked_at) END, min(created_at)
        FROM refresh_tokens GROUP BY family_id`);
    await queryRunner.query(`
      ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_family_id_fkey
        FOREIGN KEY (family_id) REFERENCES refresh_families(id) ON DELETE CASCADE`);

    // SSO state and one-time codes are bound to the browser that started the sign-in (a cookie).
    // Sign-ins in progress and unredeemed codes (minutes old at most) are dropped.
    await queryRunner.query(`DELETE FROM auth_states`);
    await queryRunner.query(`DELETE FROM auth_codes`);
    await queryRunner.query(`ALTER TABLE auth_states ADD COLUMN binding_hash char(64) NOT NULL`);
    await queryRunner.query(`ALTER TABLE auth_codes ADD COLUMN binding_hash char(64) NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE auth_codes DROP COLUMN binding_hash`);
    await queryRunner.query(`ALTER TABLE auth_states DROP COLUMN binding_hash`);
    await queryRunner.query(`ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_family_id_fkey`);
    await queryRunner.query(`DROP TABLE refresh_families`);
  }
}
