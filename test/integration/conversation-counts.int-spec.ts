import { DataSource } from 'typeorm';
import { Conversation } from '../../src/modules/chat/conversation.entity';
import { ConversationsRepository } from '../../src/modules/chat/conversations.repository';
import { insertConversation, insertUser, openDatabase } from './database';

/** conversation_counts (the list's `pagination.total`) against count(*), through every kind of change. */
describe('conversation_counts (PostgreSQL triggers)', () => {
  let db: DataSource;
  let conversations: ConversationsRepository;

  beforeAll(async () => {
    db = await openDatabase();
    conversations = new ConversationsRepository(db.getRepository(Conversation));
  });
  afterAll(() => db.destroy());

  /** The kept count (null: no row) and the real one. */
  const counts = async (userId: string) => {
    const [row] = await db.query(
      `SELECT (SELECT total FROM conversation_counts WHERE user_id = $1) AS kept, (SELECT count(*)::int FROM conversations WHERE user_id = $1) AS actual`,
      [userId],
    );
    return row as { kept: number | null; actual: number };
  };
  const listTotal = async (userId: string) => (await conversations.list(userId, { limit: 2, offset: 0 }))[1];

  it('follows single and bulk inserts and deletes, per user', async () => {
    const alice = await insertUser(db);
    const bob = await insertUser(db);
    expect(await counts(alice)).toEqual({ kept: null, actual: 0 });

    const first = await insertConversation(db, alice);
    await db.query(`INSERT INTO conversations (user_id, title) SELECT u, 'bulk' FROM unnest($1::uuid[]) u`, [[alice, alice, alice, bob, bob]]);
    expect(await counts(alice)).toEqual({ kept: 4, actual: 4 });
    expect(await counts(bob)).toEqual({ kept: 2, actual: 2 });
    expect(await listTotal(alice)).toBe(4);

    expect(await conversations.delete(first, alice)).toBe(true);
    expect(await conversations.delete(first, alice)).toBe(false);
    expect(await counts(alice)).toEqual({ kept: 3, actual: 3 });
    await db.query(`DELETE FROM conversations WHERE user_id = ANY($1::uuid[])`, [[alice, bob]]);
    expect(await counts(alice)).toEqual({ kept: 0, actual: 0 });
    expect(await counts(bob)).toEqual({ kept: 0, actual: 0 });
    expect(await conversations.list(alice, { limit: 2, offset: 0 })).toEqual([[], 0]);
  });

  it('follows a conversation handed to another user, and ignores other updates', async () => {
    const alice = await insertUser(db);
    const bob = await insertUser(db);
    const id = await insertConversation(db, alice);
    await insertConversation(db, alice);
    await db.query(`UPDATE conversations SET title = 'renamed', updated_at = now() WHERE user_id = $1`, [alice]);
    await db.query(`UPDATE conversations SET user_id = $2 WHERE id = $1`, [id, bob]);
    expect(await counts(alice)).toEqual({ kept: 1, actual: 1 });
    expect(await counts(bob)).toEqual({ kept: 1, actual: 1 });
    expect(await listTotal(bob)).toBe(1);
  });

  it('is removed with its user, and cleared by a TRUNCATE', async () => {
    const alice = await insertUser(db);
    await insertConversation(db, alice);
    await insertConversation(db, alice);
    await db.query(`DELETE FROM users WHERE id = $1`, [alice]);
    expect(await counts(alice)).toEqual({ kept: null, actual: 0 });

    const bob = await insertUser(db);
    await insertConversation(db, bob);
    await db.transaction(async (manager) => {
      await manager.query(`TRUNCATE conversations CASCADE`);
      expect(await manager.query(`SELECT count(*)::int AS n FROM conversation_counts`)).toEqual([{ n: 0 }]);
      throw new Error('roll back');
    }).catch((error: Error) => expect(error.message).toBe('roll back'));
    expect(await counts(bob)).toEqual({ kept: 1, actual: 1 });
  });
});
