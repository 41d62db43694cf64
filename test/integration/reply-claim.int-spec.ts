import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Conversation } from '../../src/modules/chat/conversation.entity';
import { ConversationsRepository } from '../../src/modules/chat/conversations.repository';
import { MessageEventsRepository } from '../../src/modules/chat/message-events.repository';
import { ReplyProgressRepository } from '../../src/modules/chat/reply-progress.repository';
import { insertConversation, insertMessage, insertUser, openDatabase } from './database';

describe('Reply claim and flush SQL (PostgreSQL)', () => {
  let db: DataSource;
  let conversations: ConversationsRepository;
  let progress: ReplyProgressRepository;
  let stored: MessageEventsRepository;
  let userId: string;

  beforeAll(async () => {
    db = await openDatabase();
    conversations = new ConversationsRepository(db.getRepository(Conversation));
    progress = new ReplyProgressRepository(db);
    stored = new MessageEventsRepository(db);
    userId = await insertUser(db);
  });
  afterAll(() => db.destroy());

  const row = async (id: string) =>
    (await db.query(`SELECT active_reply_id, event_seq::int AS event_seq, reply_heartbeat_at, cancel_requested_at FROM conversations WHERE id = $1`, [id]))[0];

  it('claimReply: of concurrent claims on one conversation exactly one wins', async () => {
    const id = await insertConversation(db, userId);
    const replies = Array.from({ length: 6 }, () => randomUUID());
    const claims = await Promise.all(replies.map((reply) => conversations.claimReply(id, userId, reply, 30)));
    const winners = claims.filter((claim) => claim !== null);
    expect(winners).toEqual([{ eventSeq: 0, abandonedReplyId: null }]);
    const winner = replies[claims.findIndex((claim) => claim !== null)];
    expect((await row(id)).active_reply_id).toBe(winner);
  });

  it('claimReply: another user cannot claim; a stale reply is taken over and named as abandoned', async () => {
    const id = await insertConversation(db, userId);
    const first = randomUUID();
    expect(await conversations.claimReply(id, await insertUser(db), first, 30)).toBeNull();
    expect(await conversations.claimReply(id, userId, first, 30)).not.toBeNull();
    expect(await conversations.claimReply(id, userId, randomUUID(), 30)).toBeNull();
    await db.query(`UPDATE conversations SET reply_heartbeat_at = now() - interval '60 seconds' WHERE id = $1`, [id]);
    const takeover = randomUUID();
    expect(await conversations.claimReply(id, userId, takeover, 30)).toEqual({ eventSeq: 0, abandonedReplyId: first });
    expect((await row(id)).active_reply_id).toBe(takeover);
  });

  it('releaseReply frees only the reply that holds the claim, and never moves event_seq back', async () => {
    const id = await insertConversation(db, userId);
    const reply = randomUUID();
    await conversations.claimReply(id, userId, reply, 30);
    await conversations.releaseReply(id, randomUUID(), 99);
    expect(await row(id)).toMatchObject({ active_reply_id: reply, event_seq: 0 });
    await conversations.releaseReply(id, reply, 7);
    expect(await row(id)).toMatchObject({ active_reply_id: null, event_seq: 7, reply_heartbeat_at: null });
    const next = randomUUID();
    expect(await conversations.claimReply(id, userId, next, 30)).toEqual({ eventSeq: 7, abandonedReplyId: null });
    await conversations.releaseReply(id, next, 3);
    expect((await row(id)).event_seq).toBe(7);
  });

  describe('flush (ReplyProgressRepository.save)', () => {
    const message = (status: 'streaming' | 'complete', content: string) => ({
      content,
      toolCalls: [],
      results: [],
      status,
      usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
      error: null,
    });
    const event = (id: number, content: string) => ({ id, type: 'chunk' as const, data: { content } });

    it('stores a flush as one batch with the message while the reply holds the claim; a retried flush keeps the longer batch', async () => {
      const id = await insertConversation(db, userId);
      const messageId = await insertMessage(db, id, userId);
      await conversations.claimReply(id, userId, messageId, 30);
      const saved = await progress.save({ conversationId: id, messageId, events: [event(1, 'a'), event(2, 'b')] as never, lastSeq: 2, message: message('streaming', 'ab') });
      expect(saved).toEqual({ held: true, cancelRequested: false });
      // The runner retries a flush with the same first event plus newer ones: no duplicate, no error.
      await progress.save({ conversationId: id, messageId, events: [event(3, 'c')] as never, lastSeq: 3, message: message('streaming', 'abc') });
      await progress.save({ conversationId: id, messageId, events: [event(3, 'c'), event(4, 'd')] as never, lastSeq: 4, message: message('complete', 'abcd') });
      const events = (await stored.after(id, 0)).map((e) => ({ id: e.id, content: (e.data as { content: string }).content }));
      expect(events).toEqual([{ id: 1, content: 'a' }, { id: 2, content: 'b' }, { id: 3, content: 'c' }, { id: 4, content: 'd' }]);
      expect(await db.query(`SELECT first_seq::int AS first, last_seq::int AS last FROM message_event_batches WHERE conversation_id = $1 ORDER BY first_seq`, [id])).toEqual([
        { first: 1, last: 2 },
        { first: 3, last: 4 },
      ]);
      const [message_] = await db.query(`SELECT content, status FROM messages WHERE id = $1`, [messageId]);
      expect(message_).toEqual({ content: 'abcd', status: 'complete' });
      expect((await row(id)).event_seq).toBe(4);
    });

    it('answers held=false once another reply took the conversation, and reports a cancel asked elsewhere', async () => {
      const id = await insertConversation(db, userId);
      const messageId = await insertMessage(db, id, userId);
      await conversations.claimReply(id, userId, messageId, 30);
      expect(await conversations.requestCancel(id, userId)).toBe(messageId);
      expect(await progress.save({ conversationId: id, messageId, events: [], lastSeq: 0, message: message('streaming', '') })).toEqual({ held: true, cancelRequested: true });

      await db.query(`UPDATE conversations SET reply_heartbeat_at = now() - interval '60 seconds' WHERE id = $1`, [id]);
      const other = randomUUID();
      await conversations.claimReply(id, userId, other, 30);
      const lost = await progress.save({ conversationId: id, messageId, events: [event(1, 'late')] as never, lastSeq: 1, message: message('streaming', 'late') });
      expect(lost).toEqual({ held: false, cancelRequested: false });
      // Only the holder writes events: the stale writer's are not stored.
      expect(await stored.after(id, 0)).toEqual([]);
      // The heartbeat (and event_seq) belong to the new holder: the stale writer did not move them.
      expect(await row(id)).toMatchObject({ active_reply_id: other, event_seq: 0 });
    });
  });
});
