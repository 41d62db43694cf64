import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * start_reply: everything POST /chat/message does before its first byte (after auth and the
 * usage reservation) in one round trip. It refuses, storing nothing, with an outcome:
 * 'not_found' (no such conversation of this user), 'consent' (a consent request is pending in it;
 * its id is returned), 'limit' (the user already has p_max_active live replies in other
 * conversations), 'busy' (a live reply holds this conversation); otherwise 'started': the
 * conversation is claimed for p_reply (a stale holder's message marked interrupted) and the
 * user message and the streaming assistant message (id p_reply) are stored.
 *
 * Why a function: in READ COMMITTED one statement's snapshot is taken before any lock it takes,
 * so a count in the same statement as the per-user advisory lock could miss a claim committed
 * by the previous lock holder. In a VOLATILE function each statement takes a fresh snapshot, so
 * the count after the lock is exact. The lock key is the one conversation creates use.
 *
 * The model (p_model, the caller's checked choice, when known): else the conversation's model,
 * else the user's default_model (read here, as the usage reservation reads api_limits: one round
 * trip), either only while offered (p_offered), else the server's p_default_model.
 */
const CREATE_START_REPLY = `
CREATE FUNCTION start_reply(
  p_user uuid, p_conversation uuid, p_reply uuid, p_content text,
  p_model varchar, p_offered varchar[], p_default_model varchar,
  p_stale_seconds double precision, p_max_active integer, p_abandoned_error jsonb,
  OUT outcome text, OUT event_seq bigint, OUT abandoned_reply_id uuid, OUT model varchar, OUT consent_request_id uuid
) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  conv record;
  active integer;
  stored_at timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('conversations:user:' || p_user::text, 0));
  SELECT c.model, c.active_reply_id, c.reply_heartbeat_at INTO conv
    FROM conversations c WHERE c.id = p_conversation AND c.user_id = p_user FOR UPDATE;
  IF NOT FOUND THEN
    outcome := 'not_found';
    RETURN;
  END IF;
  SELECT r.id INTO consent_request_id FROM consent_requests r
   WHERE r.conversation_id = p_conversation AND r.user_id = p_user AND r.status = 'pending'
   ORDER BY r.created_at DESC LIMIT 1;
  IF consent_request_id IS NOT NULL THEN
    outcome := 'consent';
    RETURN;
  END IF;
  SELECT count(*) INTO active FROM conversations c
   WHERE c.user_id = p_user AND c.id <> p_conversation AND c.active_reply_id IS NOT NULL
     AND c.reply_heartbeat_at >= now() - make_interval(secs => p_stale_seconds);
  IF active >= p_max_active THEN
    outcome := 'limit';
    RETURN;
  END IF;
  IF NOT COALESCE(conv.active_reply_id IS NULL OR conv.reply_heartbeat_at < now() - make_interval(secs => p_stale_seconds), false) THEN
    outcome := 'busy';
    RETURN;
  END IF;

  model := COALESCE(p_model, NULLIF(conv.model, ''));
  IF model IS NULL THEN
    SELECT s.preferences->>'default_model' INTO model FROM user_settings s WHERE s.user_id = p_user;
  END IF;
  IF p_model IS NULL AND (model IS NULL OR model <> ALL (p_offered)) THEN
    model := p_default_model;
  END IF;
  IF conv.active_reply_id IS NOT NULL THEN
    abandoned_reply_id := conv.active_reply_id;
    UPDATE messages m SET status = 'interrupted', error = p_abandoned_error, updated_at = now()
     WHERE m.id = conv.active_reply_id AND m.status = 'streaming';
  END IF;
  UPDATE conversations c
     SET active_reply_id = p_reply, reply_heartbeat_at = now(), cancel_requested_at = NULL,
         last_message_at = now(), updated_at = now()
   WHERE c.id = p_conversation
  RETURNING c.event_seq INTO event_seq;
  -- Both rows are written in one transaction (one now()): the reply must sort after the message.
  stored_at := clock_timestamp();
  INSERT INTO messages (conversation_id, user_id, role, content, status, created_at, updated_at)
  VALUES (p_conversation, p_user, 'user', p_content, 'complete', stored_at, stored_at);
  INSERT INTO messages (id, conversation_id, user_id, role, content, status, model, created_at, updated_at)
  VALUES (p_reply, p_conversation, p_user, 'assistant', '', 'streaming', model, stored_at + interval '1 microsecond', stored_at + interval '1 microsecond');
  outcome := 'started';
END
$fn$`;

export class StartReplyFunction1764000007500 implements MigrationInterface {
  name = 'StartReplyFunction1764000007500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(CREATE_START_REPLY);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION start_reply(uuid, uuid, uuid, text, varchar, varchar[], varchar, double precision, integer, jsonb)`);
  }
}
