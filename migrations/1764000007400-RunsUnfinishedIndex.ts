import { MigrationInterface, QueryRunner } from 'typeorm';

export class RunsUnfinishedIndex1764000007400 implements MigrationInterface {
  name = 'RunsUnfinishedIndex1764000007400';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The runs_active metric counts unfinished runs by status on every scrape: a small partial
    // index keeps that independent of how many finished runs the table holds.
    await queryRunner.query(`CREATE INDEX runs_unfinished_idx ON runs (status) WHERE status IN ('queued', 'running', 'awaiting_consent')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX runs_unfinished_idx`);
  }
}
