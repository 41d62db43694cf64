import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { ModelRegistry } from '../agent/models/model-registry';
import { estimatePromptTokens, UsageService } from '../agent/usage.service';
import type { ConsentDecision, ConsentRequest } from '../consent/consent-request.entity';
import { ConsentService } from '../consent/consent.service';
import type { ConsentGrant, ResumedContinuation } from '../consent/consent-hooks';
import { mapConsentRequest } from '../consent/dto/consent.dto';
import { AttachmentBlock, AttachmentsService } from '../files/attachments.service';
import { SettingsService } from '../settings/settings.service';
import { Conversation } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { ChatReplyDto, SendMessageDto } from './dto/chat.dto';
import { MessagesRepository } from './messages.repository';
import { followLive } from './reply-replay';
import { REPLY_STALE_SECONDS, ReplyRunner } from './reply-runner';
import { LiveReply, ReplyStreams } from './reply-streams';

export interface StartedReply {
  conversationId: string;
  messageId: string;
  /** The reply generating on this instance: subscribe to it (followLive) to stream it. */
  live: LiveReply;
}

/** A reply's life: start it (one at a time per conversation), await it, cancel it, resume it after consent. */
@Injectable()
export class RepliesService implements OnModuleInit {
  private readonly logger = new Logger(RepliesService.name);

  constructor(
    private readonly conversationsService: ConversationsService,
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly consents: ConsentService,
    private readonly runner: ReplyRunner,
    private readonly streams: ReplyStreams,
    private readonly models: ModelRegistry,
    private readonly usage: UsageService,
    private readonly config: AppConfig,
    private readonly attachments: AttachmentsService,
    private readonly settings: SettingsService,
  ) {}

  onModuleInit(): void {
    this.consents.registerResumer('reply', (request, decisions, grants) => this.resumeReply(request, decisions, grants));
  }

  /**
   * Stores the user's message, takes the conversation (one reply at a time, across
   * instances) and starts the reply in the background. Every refusal happens before
   * anything is stored.
   */
  async send(userId: string, dto: SendMessageDto): Promise<StartedReply> {
    const existing = dto.conversation_id ? await this.conversationsService.get(dto.conversation_id, userId) : null;
    // The conversation's model, else the user's default_model, else the server's default.
    const preferred = dto.model || existing?.model ? existing?.model : await this.settings.defaultModel(userId);
    const model = this.models.choose(dto.model, preferred);
    // Read before anything is stored: another user's or another conversation's file is a 404.
    const attachments = await this.attachments.blocksFor(dto.attachments ?? [], existing?.id ?? null, userId);
    const attachedText = attachments.map((block) => (block.type === 'text' ? block.text : '')).join('');
    const images = attachments.filter((block) => block.type === 'image').length;
    this.models.assertAcceptsImages(model, images);
    // The reservation is also the budget check (one conditional statement): a spent budget is 429 here.
    const reserved = await this.usage.reserve(userId, estimatePromptTokens(dto.message + attachedText, images));
    try {
      return await this.startReply(userId, dto, existing, model, attachments, reserved);
    } catch (error) {
      await this.usage.settle(userId, reserved, null).catch(() => undefined);
      throw error;
    }
  }

  private async startReply(
    userId: string,
    dto: SendMessageDto,
    existing: Conversation | null,
    model: string,
    attachments: AttachmentBlock[],
    reservedTokens: number,
  ): Promise<StartedReply> {
    const pending = existing ? await this.consents.findPending(existing.id, userId) : null;
    if (pending) {
      // The request travels with the refusal, so a client can show it and decide.
      throw new AppException(ErrorCode.Conflict, 'A consent request is waiting for a decision in this conversation (POST /chat/consent)', {
        consent_request: mapConsentRequest(pending),
      });
    }
    const title = titleFrom(dto.message);
    const conversation = existing ?? (await this.conversationsService.createWithinLimit({ userId, title, model: dto.model ? model : null }));

    const messageId = randomUUID();
    const maxStreams = this.config.limits.maxConcurrentStreamsPerUser;
    const claim = await this.conversations.claimReplyWithinLimit(conversation.id, userId, messageId, REPLY_STALE_SECONDS, maxStreams);
    if (claim === 'limit') {
      // A conversation made for this message only would be left empty: take it back.
      if (!existing) await this.conversations.delete(conversation.id, userId);
      throw new AppException(ErrorCode.QuotaExceeded, `At most ${maxStreams} replies can be generated at once per user; wait for one to finish`);
    }
    if (!claim) throw new AppException(ErrorCode.Conflict, 'A reply is already being generated in this conversation');
    try {
      if (claim.abandonedReplyId) await this.messages.markInterrupted(claim.abandonedReplyId);
      await this.messages.insert({ conversationId: conversation.id, userId, role: 'user', content: dto.message, status: 'complete', model: null });
      await this.messages.insertWithId(messageId, { conversationId: conversation.id, userId, role: 'assistant', content: '', status: 'streaming', model });
    } catch (error) {
      await this.conversations.releaseReply(conversation.id, messageId, claim.eventSeq);
      throw error;
    }
    const input = { kind: 'message' as const, text: dto.message, attachments };
    const live = this.runner.start({ userId, conversationId: conversation.id, messageId, lastSeq: claim.eventSeq, model, input, announceConversation: true, reservedTokens });
    return { conversationId: conversation.id, messageId, live };
  }

  /** Waits for the reply to end and answers it whole (non-streaming clients); a provider failure is PROVIDER_ERROR. */
  async awaitReply(started: StartedReply, userId: string): Promise<ChatReplyDto> {
    await started.live.finished;
    const message = await this.messages.findOwned(started.messageId, userId);
    if (!message) throw AppException.notFound('Message');
    if (message.status === 'error') {
      throw new AppException(ErrorCode.ProviderError, message.error?.message ?? 'The model provider failed', { conversation_id: started.conversationId, message_id: message.id });
    }
    const pending = message.status === 'awaiting_consent' ? await this.consents.findPending(started.conversationId, userId) : null;
    return {
      conversation_id: started.conversationId,
      message_id: message.id,
      content: message.content,
      timestamp: message.createdAt.toISOString(),
      tool_calls: message.toolCalls,
      results: message.results,
      requires_consent: pending ? mapConsentRequest(pending) : null,
      status: message.status,
      model: message.model,
      usage: message.usage,
    };
  }

  async cancel(conversationId: string, userId: string): Promise<boolean> {
    await this.conversationsService.get(conversationId, userId);
    const live = this.streams.get(conversationId);
    if (live) {
      live.abort.abort('cancelled');
      return true;
    }
    return (await this.conversations.requestCancel(conversationId, userId)) !== null;
  }

  /**
   * Continues a reply paused for consent (same message, same event ids), on this instance.
   * Idempotent: a replayed resume finds the message no longer awaiting consent (or a newer
   * request pending) and does nothing. Throws when a reply holds the conversation: the consent
   * sweep retries later.
   */
  private async resumeReply(request: ConsentRequest, decisions: ConsentDecision[], grants: ConsentGrant[]): Promise<ResumedContinuation | null> {
    if (!request.conversationId || !request.messageId) return null;
    if (await this.consents.findPending(request.conversationId, request.userId)) return null;
    const claim = await this.conversations.claimReply(request.conversationId, request.userId, request.messageId, REPLY_STALE_SECONDS);
    if (!claim) throw new AppException(ErrorCode.Conflict, 'Could not resume after consent: a reply is running in this conversation');
    const message = await this.messages.findOwned(request.messageId, request.userId);
    const conversation = await this.conversations.findOwned(request.conversationId, request.userId);
    if (!message || !conversation || message.status !== 'awaiting_consent') {
      await this.conversations.releaseReply(request.conversationId, request.messageId, claim.eventSeq);
      return null;
    }
    await this.messages.update(message.id, { status: 'streaming' });
    const model = message.model ?? this.models.choose(null, conversation.model);
    const previous = { content: message.content, toolCalls: message.toolCalls, results: message.results, usage: message.usage };
    const input = { kind: 'resume' as const, decisions, grants };
    const live = this.runner.start({ userId: request.userId, conversationId: request.conversationId, messageId: message.id, lastSeq: claim.eventSeq, model, input, previous });
    return { follow: (signal) => followLive(live, live.firstSeq - 1, signal) };
  }
}

function titleFrom(message: string): string {
  const line = message.trim().split('\n')[0];
  return line.length > 60 ? `${line.slice(0, 57)}...` : line || 'New conversation';
}
