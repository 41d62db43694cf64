import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ErrorCode } from '../../common/errors/error-code';
import { Message } from './message.entity';

/** What a reply whose server stopped (or never took it) is marked with. */
export const INTERRUPTED_ERROR = { code: ErrorCode.ServiceUnavailable, message: 'The server generating this reply stopped' };

@Injectable()
export class MessagesRepository {
  constructor(@InjectRepository(Message) private readonly messages: Repository<Message>) {}

  findOwned(id: string, userId: string): Promise<Message | null> {
    return this.messages.findOneBy({ id, userId });
  }

  async update(id: string, patch: Partial<Pick<Message, 'content' | 'toolCalls' | 'results' | 'status' | 'usage' | 'error'>>): Promise<void> {
    await this.messages.update({ id }, patch as never);
  }

  /** Marks a reply whose instance died mid-stream; its partial text stays. */
  async markInterrupted(id: string): Promise<void> {
    await this.messages.update({ id, status: 'streaming' }, { status: 'interrupted', error: INTERRUPTED_ERROR });
  }

  /** Newest first, keyset-paginated on (created_at, id) before the `before` message. */
  async history(conversationId: string, userId: string, query: { limit: number; before?: Message }): Promise<Message[]> {
    const builder = this.messages
      .createQueryBuilder('m')
      .where('m.conversation_id = :conversationId AND m.user_id = :userId', { conversationId, userId })
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .limit(query.limit);
    if (query.before) {
      // Compared in SQL: a Date holds milliseconds, created_at microseconds (a reply is stored 1 µs after its message).
      builder.andWhere('(m.created_at, m.id) < (SELECT b.created_at, b.id FROM messages b WHERE b.id = :beforeId)', { beforeId: query.before.id });
    }
    return builder.getMany();
  }

  latestAssistant(conversationId: string, userId: string): Promise<Message | null> {
    return this.messages.findOne({ where: { conversationId, userId, role: 'assistant' }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  count(conversationId: string): Promise<number> {
    return this.messages.countBy({ conversationId });
  }
}
