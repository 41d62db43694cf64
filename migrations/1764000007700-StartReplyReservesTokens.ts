import { MigrationInterface, QueryRunner } from 'typeorm';
import { StartReplyFunction1764000007500 } from './1764000007500-StartReplyFunction';

/**
 * start_reply also reserves the reply's tokens against the user's daily budget (what
 * UsageRepository.reserve does in a statement of its own), so a message into an existing
 * conversation needs one statement after auth instead of two. Everything else is as in
 * 1764000007500.
 *
 * p_tokens NULL: reserve nothing (the caller reserved before, e.g. before creating the
 * conversation). Otherwise the budget is checked first, as the separate reservation was: the
 * limit is user_settings.api_limits.max_tokens_per_day, else p_default_token_limit; 0 means no
 * limit (nothing reserved). When p_tokens does not fit, the outcome is 'budget' with the limit and
 * today's total_tokens. A later refusal (not_found, consent, limit, busy) gives the reservation
 * back in the same transaction, so no other transaction ever sees it; `reserved` is what a started
 * reply holds and must settle.
 */
const CREATE_START_REPLY = `
CREATE FUNCTION start_reply(
  p_user uuid, p_conversation uuid, p_reply uuid, p_content text,
  p_model varchar, p_offered varchar[], p_default_model varchar,
  p_stale_seconds double precision, p_max_active integer, p_abandoned_error jsonb,
  p_tokens bigint, p_default_token_limit bigint,
  OUT outcome text, OUT event_seq bigint, OUT abandoned_reply_id uuid, OUT model varchar, OUT consent_request_id uuid,
  OUT reserved bigint, OUT budget_limit bigint, OUT budget_used bigint
) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  conv record;
  active integer;
  stored_at timestamptz;
  user_limit bigint;
  preferred varchar;
  usage_day date := (now() AT TIME ZONE 'UTC')::date;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('conversations:user:' || p_user::text, 0));
  SELECT (s.api_limits->>'max_tokens_per_day')::bigint, s.preferences->>'default_model' INTO user_limit, preferred
    FROM user_settings s WHERE s.user_id = p_user;

  reserved := 0;
  IF p_tokens IS NOT NULL THEN
    budget_limit := COALESCE(user_limit, p_default_token_limit);
    IF budget_limit > 0 THEN
      -- Conditional on the row (concurrent reservations queue on it), as UsageRepository.reserve.
      INSERT INTO usage_daily AS u (user_id, day, input_tokens, output_tokens, total_tokens, reserved_tokens)
      SELECT p_user, usage_day, 0, 0, 0, p_tokens WHERE p_tokens <= budget_limit
      ON CONFLICT (user_id, day) DO UPDATE SET reserved_tokens = u.reserved_tokens + EXCLUDED.reserved_tokens
       WHERE u.total_tokens + u.reserved_tokens + EXCLUDED.reserved_tokens <= budget_limit;
      IF NOT FOUND THEN
        SELECT u.total_tokens INTO budget_used FROM usage_daily u WHERE u.user_id = p_user AND u.day = usage_day;
        budget_used := COALESCE(budget_used, 0);
        outcome := 'budget';
        RETURN;
      END IF;
      reserved := p_tokens;
    END IF;
  END IF;

  <<checks>>
  BEGIN
    SELECT c.model, c.active_reply_id, c.reply_heartbeat_at INTO conv
      FROM conversations c WHERE c.id = p_conversation AND c.user_id = p_user FOR UPDATE;
    IF NOT FOUND THEN
      outcome := 'not_found';
      EXIT checks;
    END IF;
    SELECT r.id INTO consent_request_id FROM consent_requests r
     WHERE r.conversation_id = p_conversation AND r.user_id = p_user AND r.status = 'pending'
     ORDER BY r.created_at DESC LIMIT 1;
    IF consent_request_id IS NOT NULL THEN
      outcome := 'consent';
      EXIT checks;
    END IF;
    SELECT count(*) INTO active FROM conversations c
     WHERE c.user_id = p_user AND c.id <> p_conversation AND c.active_reply_id IS NOT NULL
       AND c.reply_heartbeat_at >= now() - make_interval(secs => p_stale_seconds);
    IF active >= p_max_active THEN
      outcome := 'limit';
      EXIT checks;
    END IF;
    IF NOT COALESCE(conv.active_reply_id IS NULL OR conv.reply_heartbeat_at < now() - make_interval(secs => p_stale_seconds), false) THEN
      outcome := 'busy';
      EXIT checks;
    END IF;
  END checks;
  IF outcome IS NOT NULL THEN
    IF reserved > 0 THEN
      UPDATE usage_daily u SET reserved_tokens = u.reserved_tokens - reserved WHERE u.user_id = p_user AND u.day = usage_day;
      reserved := 0;
    END IF;
    RETURN;
  END IF;

  model := COALESCE(p_model, NULLIF(conv.model, ''), preferred);
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

const PREVIOUS_SIGNATURE = 'start_reply(uuid, uuid, uuid, text, varchar, varchar[], varchar, double precision, integer, jsonb)';
const SIGNATURE = 'start_reply(uuid, uuid, uuid, text, varchar, varchar[], varchar, double precision, integer, jsonb, bigint, bigint)';

export class StartReplyReservesTokens1764000007700 implements MigrationInterface {
  name = 'StartReplyReservesTokens1764000007700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION ${PREVIOUS_SIGNATURE}`);
    await queryRunner.query(CREATE_START_REPLY);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION ${SIGNATURE}`);
    // The previous function, as that migration creates it.
    await new StartReplyFunction1764000007500().up(queryRunner);
  }
}
