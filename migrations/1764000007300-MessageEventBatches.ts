import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A reply's events are stored one row per flush (a jsonb array of events with their first and
 * last id) instead of one row per event: a streamed reply writes a few rows, not one per token.
 * Existing events are kept: each reply's events become one batch.
 */
export class MessageEventBatches1764000007300 implements MigrationInterface {
  name = 'MessageEventBatches1764000007300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE message_event_batches (
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        first_seq bigint NOT NULL,
        last_seq bigint NOT NULL,
        message_id uuid NOT NULL,
        events jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (conversation_id, first_seq),
        CONSTRAINT message_event_batches_range_check CHECK (last_seq >= first_seq)
      )`);
    // Replay reads the batches that end after a client's Last-Event-ID.
    await queryRunner.query(`CREATE INDEX message_event_batches_last_seq_idx ON message_event_batches (conversation_id, last_seq)`);
    await queryRunner.query(`
      INSERT INTO message_event_batches (conversation_id, first_seq, last_seq, message_id, events, created_at)
      SELECT conversation_id, min(seq), max(seq), message_id,
             jsonb_agg(jsonb_build_object('seq', seq, 'type', type, 'data', data) ORDER BY seq), min(created_at)
        FROM message_events
       GROUP BY conversation_id, message_id`);
    await queryRunner.query(`DROP TABLE message_events`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE message_events (
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        message_id uuid NOT NULL,
        type varchar(32) NOT NULL,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (conversation_id, seq)
      )`);
    await queryRunner.query(`
      INSERT INTO message_events (conversation_id, seq, message_id, type, data, created_at)
      SELECT b.conversation_id, (e.value->>'seq')::bigint, b.message_id, e.value->>'type', e.value->'data', b.created_at
        FROM message_event_batches b CROSS JOIN LATERAL jsonb_array_elements(b.events) AS e(value)
      ON CONFLICT DO NOTHING`);
    await queryRunner.query(`DROP TABLE message_event_batches`);
  }
}
