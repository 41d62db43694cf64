import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * conversation_page: one page of a user's conversations (GET /chat/conversations without a
 * search), newest first, with each row's message count and last-message preview and the user's
 * total (conversation_counts), dates as `toISOString()` writes them. The rows and order of
 * ConversationsRepository.list.
 *
 * Why a function: as a prepared statement PostgreSQL re-planned this query on every call. With
 * LIMIT and OFFSET as parameters its generic plan is costed for 10 % of the user's rows, so the
 * plan cache always preferred a custom plan, and planning cost about as much CPU as running the
 * page. Here the query is planned once per connection (plan_cache_mode only for this function);
 * that one plan (the (user_id, updated_at) index in order) is the right one for any page and
 * any number of conversations.
 */
const CREATE_CONVERSATION_PAGE = `
CREATE FUNCTION conversation_page(p_user uuid, p_limit integer, p_offset integer)
RETURNS TABLE (
  id uuid, title varchar, model varchar, replying boolean, created_at text, updated_at text,
  message_count integer, last_message_preview text, total integer
) LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH page AS (
    SELECT c.id, c.title, c.model, c.active_reply_id IS NOT NULL AS replying, c.created_at, c.updated_at
      FROM conversations c WHERE c.user_id = p_user
     ORDER BY c.updated_at DESC, c.id LIMIT p_limit OFFSET p_offset)
  SELECT page.id, page.title, page.model, page.replying,
         to_char(page.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         to_char(page.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         (SELECT count(*) FROM messages m WHERE m.conversation_id = page.id)::integer,
         (SELECT left(m.content, 120) FROM messages m WHERE m.conversation_id = page.id
           ORDER BY m.created_at DESC, m.id DESC LIMIT 1),
         coalesce((SELECT cc.total FROM conversation_counts cc WHERE cc.user_id = p_user), 0)
    FROM page
   ORDER BY page.updated_at DESC, page.id;
END
$fn$`;

export class ConversationPageFunction1764000007600 implements MigrationInterface {
  name = 'ConversationPageFunction1764000007600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(CREATE_CONVERSATION_PAGE);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION conversation_page(uuid, integer, integer)`);
  }
}
