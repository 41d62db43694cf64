import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateChatAndConsent1764000001000 implements MigrationInterface {
  name = 'CreateChatAndConsent1764000001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // active_reply_id + reply_heartbeat_at make "one reply at a time" a conditional UPDATE that
    // any instance can take over once the instance running a reply stops beating (crash).
    await queryRunner.query(`
      CREATE TABLE conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        title varchar(200) NOT NULL,
        model varchar(200),
        event_seq bigint NOT NULL DEFAULT 0,
        active_reply_id uuid,
        reply_heartbeat_at timestamptz,
        cancel_requested_at timestamptz,
        last_message_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX conversations_user_id_idx ON conversations (user_id, updated_at DESC)`);

    await queryRunner.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        role varchar(16) NOT NULL,
        content text NOT NULL DEFAULT '',
        tool_calls jsonb NOT NULL DEFAULT '[]',
        results jsonb NOT NULL DEFAULT '[]',
        status varchar(24) NOT NULL,
        usage jsonb,
        model varchar(200),
        error jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT messages_role_check CHECK (role IN ('user', 'assistant')),
        CONSTRAINT messages_status_check CHECK (status IN ('streaming', 'complete', 'interrupted', 'awaiting_consent', 'error'))
      )`);
    await queryRunner.query(`CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at, id)`);
    await queryRunner.query(`CREATE INDEX messages_user_id_idx ON messages (user_id)`);
    // Full-text search uses this expression: queries must spell it the same to use the index.
    await queryRunner.query(`CREATE INDEX messages_search_idx ON messages USING gin (to_tsvector('simple', content))`);

    // The streamed events of every reply, written in batches, so a client re-attaching after
    // the reply (or on another instance) gets exactly the events it missed.
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
      CREATE TABLE consent_requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        message_id uuid NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending',
        actions jsonb NOT NULL,
        decisions jsonb,
        reason text,
        decided_by uuid,
        decided_at timestamptz,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT consent_requests_status_check CHECK (status IN ('pending', 'approved', 'rejected', 'partial', 'expired'))
      )`);
    await queryRunner.query(`CREATE INDEX consent_requests_user_id_idx ON consent_requests (user_id, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX consent_requests_pending_idx ON consent_requests (expires_at) WHERE status = 'pending'`);

    // One single-use token per approved action, bound to the hash of tool + final arguments.
    await queryRunner.query(`
      CREATE TABLE consent_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        consent_request_id uuid NOT NULL REFERENCES consent_requests(id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        conversation_id uuid NOT NULL,
        token_hash char(64) NOT NULL UNIQUE,
        action_hash char(64) NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX consent_tokens_action_idx ON consent_tokens (conversation_id, action_hash) WHERE used_at IS NULL`);

    await queryRunner.query(`
      CREATE TABLE usage_daily (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        day date NOT NULL,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        total_tokens bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE usage_daily`);
    await queryRunner.query(`DROP TABLE consent_tokens`);
    await queryRunner.query(`DROP TABLE consent_requests`);
    await queryRunner.query(`DROP TABLE message_events`);
    await queryRunner.query(`DROP TABLE messages`);
    await queryRunner.query(`DROP TABLE conversations`);
  }
}
