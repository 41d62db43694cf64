import { MigrationInterface, QueryRunner } from 'typeorm';

/** A consent request pauses either a chat reply (conversation + message) or a run. */
export class LinkConsentRequestsToRuns1764000002100 implements MigrationInterface {
  name = 'LinkConsentRequestsToRuns1764000002100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE consent_requests ADD COLUMN run_id uuid REFERENCES runs(id) ON DELETE CASCADE`);
    await queryRunner.query(`ALTER TABLE consent_requests ALTER COLUMN conversation_id DROP NOT NULL, ALTER COLUMN message_id DROP NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE consent_requests ADD CONSTRAINT consent_requests_subject_check CHECK ((conversation_id IS NOT NULL AND message_id IS NOT NULL) <> (run_id IS NOT NULL))`,
    );
    await queryRunner.query(`CREATE INDEX consent_requests_run_id_idx ON consent_requests (run_id) WHERE run_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM consent_requests WHERE run_id IS NOT NULL`);
    await queryRunner.query(`DROP INDEX consent_requests_run_id_idx`);
    await queryRunner.query(`ALTER TABLE consent_requests DROP CONSTRAINT consent_requests_subject_check`);
    await queryRunner.query(`ALTER TABLE consent_requests ALTER COLUMN conversation_id SET NOT NULL, ALTER COLUMN message_id SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE consent_requests DROP COLUMN run_id`);
  }
}
