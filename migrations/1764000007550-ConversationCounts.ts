import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * conversation_counts: each user's number of conversations, kept by triggers on conversations
 * in the same transaction as the rows themselves, so GET /chat/conversations reads its
 * `pagination.total` from one row instead of counting the user's index entries on every page
 * (a tenth of a millisecond of PostgreSQL CPU at 1,000 conversations, growing with them).
 * Statement-level triggers: a bulk insert or delete updates a user's row once. A user without
 * a row has no conversations. Deleting a user removes their row (cascade).
 */
const UP = [
  `CREATE TABLE conversation_counts (
     user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
     total integer NOT NULL CHECK (total >= 0)
   )`,
  `INSERT INTO conversation_counts (user_id, total) SELECT user_id, count(*) FROM conversations GROUP BY user_id`,
  `CREATE FUNCTION conversation_counts_add() RETURNS trigger LANGUAGE plpgsql AS $fn$
   BEGIN
     INSERT INTO conversation_counts AS cc (user_id, total)
       SELECT n.user_id, count(*) FROM new_rows n GROUP BY n.user_id
       ON CONFLICT (user_id) DO UPDATE SET total = cc.total + excluded.total;
     RETURN NULL;
   END
   $fn$`,
  `CREATE FUNCTION conversation_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $fn$
   BEGIN
     UPDATE conversation_counts cc SET total = cc.total - o.removed
       FROM (SELECT user_id, count(*) AS removed FROM old_rows GROUP BY user_id) o
      WHERE cc.user_id = o.user_id;
     RETURN NULL;
   END
   $fn$`,
  // A conversation handed to another user (no route does this; an operator might).
  `CREATE FUNCTION conversation_counts_move() RETURNS trigger LANGUAGE plpgsql AS $fn$
   BEGIN
     UPDATE conversation_counts SET total = total - 1 WHERE user_id = OLD.user_id;
     INSERT INTO conversation_counts AS cc (user_id, total) VALUES (NEW.user_id, 1)
       ON CONFLICT (user_id) DO UPDATE SET total = cc.total + 1;
     RETURN NULL;
   END
   $fn$`,
  `CREATE FUNCTION conversation_counts_clear() RETURNS trigger LANGUAGE plpgsql AS $fn$
   BEGIN
     DELETE FROM conversation_counts;
     RETURN NULL;
   END
   $fn$`,
  `CREATE TRIGGER conversation_counts_insert AFTER INSERT ON conversations
     REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_counts_add()`,
  `CREATE TRIGGER conversation_counts_delete AFTER DELETE ON conversations
     REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversation_counts_remove()`,
  // Only when user_id is in the SET list and changes: the reply path's frequent updates never fire it.
  `CREATE TRIGGER conversation_counts_move AFTER UPDATE OF user_id ON conversations
     FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id) EXECUTE FUNCTION conversation_counts_move()`,
  `CREATE TRIGGER conversation_counts_truncate AFTER TRUNCATE ON conversations
     FOR EACH STATEMENT EXECUTE FUNCTION conversation_counts_clear()`,
];

const DOWN = [
  `DROP TRIGGER conversation_counts_truncate ON conversations`,
  `DROP TRIGGER conversation_counts_move ON conversations`,
  `DROP TRIGGER conversation_counts_delete ON conversations`,
  `DROP TRIGGER conversation_counts_insert ON conversations`,
  `DROP FUNCTION conversation_counts_clear()`,
  `DROP FUNCTION conversation_counts_move()`,
  `DROP FUNCTION conversation_counts_remove()`,
  `DROP FUNCTION conversation_counts_add()`,
  `DROP TABLE conversation_counts`,
];

export class ConversationCounts1764000007550 implements MigrationInterface {
  name = 'ConversationCounts1764000007550';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of UP) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of DOWN) await queryRunner.query(sql);
  }
}
