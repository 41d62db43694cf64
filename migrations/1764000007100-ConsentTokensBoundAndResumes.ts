import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consent tokens are bound to their request's tool call and kept sealed (SecretBox) for the
 * instance that resumes; a decided request records when its resume started, so a resume lost
 * between the decision and the continuation is found and run by the expiry sweep.
 */
export class ConsentTokensBoundAndResumes1764000007100 implements MigrationInterface {
  name = 'ConsentTokensBoundAndResumes1764000007100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE consent_requests ADD COLUMN resumed_at timestamptz, ADD COLUMN resume_claimed_at timestamptz`);
    // Requests decided before this migration were resumed (or lost) under the old rules: not swept.
    await queryRunner.query(`UPDATE consent_requests SET resumed_at = decided_at WHERE status <> 'pending'`);
    await queryRunner.query(`CREATE INDEX consent_requests_unresumed_idx ON consent_requests (decided_at) WHERE resumed_at IS NULL AND status <> 'pending'`);

    await queryRunner.query(`ALTER TABLE consent_tokens ADD COLUMN tool_call_id varchar(200), ADD COLUMN token_sealed text`);
    // Tokens issued before were redeemable by action hash alone; they cannot be redeemed any more.
    await queryRunner.query(`UPDATE consent_tokens SET used_at = now() WHERE used_at IS NULL`);
    await queryRunner.query(`DROP INDEX consent_tokens_action_idx`);
    await queryRunner.query(`CREATE INDEX consent_tokens_request_idx ON consent_tokens (consent_request_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX consent_tokens_request_idx`);
    await queryRunner.query(`CREATE INDEX consent_tokens_action_idx ON consent_tokens (conversation_id, action_hash) WHERE used_at IS NULL`);
    await queryRunner.query(`ALTER TABLE consent_tokens DROP COLUMN token_sealed, DROP COLUMN tool_call_id`);
    await queryRunner.query(`DROP INDEX consent_requests_unresumed_idx`);
    await queryRunner.query(`ALTER TABLE consent_requests DROP COLUMN resume_claimed_at, DROP COLUMN resumed_at`);
  }
}
