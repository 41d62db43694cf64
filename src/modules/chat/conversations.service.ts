import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { AgentService } from '../agent/agent.service';
import { ModelRegistry } from '../agent/models/model-registry';
import { FilesService } from '../files/files.service';
import { Conversation } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import { MessagesRepository } from './messages.repository';
import { ReplyStreams } from './reply-streams';

/** Conversations as the user sees them: create (within the per-user limit), read, rename, delete, history. */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly streams: ReplyStreams,
    private readonly models: ModelRegistry,
    private readonly agent: AgentService,
    private readonly files: FilesService,
    private readonly config: AppConfig,
  ) {}

  async create(userId: string, data: { title?: string; model?: string }): Promise<Conversation> {
    const model = data.model ? this.models.resolve(data.model) : null;
    return this.createWithinLimit({ userId, title: data.title ?? 'New conversation', model });
  }

  async createWithinLimit(data: { userId: string; title: string; model: string | null }): Promise<Conversation> {
    const max = this.config.limits.maxConversationsPerUser;
    const conversation = await this.conversations.createWithinLimit(data, max);
    if (!conversation) throw new AppException(ErrorCode.QuotaExceeded, `At most ${max} conversations per user; delete some to start new ones`);
    return conversation;
  }

  list(userId: string, query: { search?: string; limit: number; offset: number }) {
    return this.conversations.list(userId, query);
  }

  async get(id: string, userId: string): Promise<Conversation> {
    const conversation = await this.conversations.findOwned(id, userId);
    if (!conversation) throw AppException.notFound('Conversation');
    return conversation;
  }

  async update(id: string, userId: string, patch: { title?: string; model?: string }): Promise<Conversation> {
    const model = patch.model === undefined ? undefined : this.models.resolve(patch.model);
    const updated = await this.conversations.update(id, userId, { title: patch.title, model });
    if (!updated) throw AppException.notFound('Conversation');
    return updated;
  }

  async delete(id: string, userId: string): Promise<void> {
    await this.get(id, userId);
    const live = this.streams.get(id);
    if (live) {
      live.abort.abort('cancelled');
      await live.finished;
    }
    // Rows would go with the conversation (cascade), but their stored bytes would not.
    await this.files.deleteForConversation(id, userId);
    if (!(await this.conversations.delete(id, userId))) throw AppException.notFound('Conversation');
    await this.agent.deleteThread(id);
  }

  async history(conversationId: string, userId: string, query: { limit: number; before?: string }) {
    await this.get(conversationId, userId);
    const before = query.before ? await this.messages.findOwned(query.before, userId) : undefined;
    if (query.before && (!before || before.conversationId !== conversationId)) throw AppException.notFound('Message');
    return this.messages.history(conversationId, userId, { limit: query.limit, before: before ?? undefined });
  }
}
