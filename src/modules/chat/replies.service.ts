import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { ModelRegistry } from '../agent/models/model-registry';
import { estimatePromptTokens, TokenReservation, UsageService } from '../agent/usage.service';
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
import { ReplyStartOutcome, ReplyStartRepository, ReplyStartRequest } from './reply-start.repository';
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
    private readonly replyStarts: ReplyStartRepository,
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
   * anything is stored. Into an existing conversation this is one statement after auth
   * (ReplyStartRepository, which also reserves the reply's tokens); attachments cost one more
   * (the conversation's model decides whether images are accepted).
   */
  async send(userId: string, dto: SendMessageDto): Promise<StartedReply> {
    const attached = dto.attachments?.length ? dto.attachments : [];
    const existing = dto.conversation_id && attached.length ? await this.conversationsService.get(dto.conversation_id, userId) : null;
    const models = await this.modelChoice(userId, dto, existing);
    // Read before anything is stored: another user's or another conversation's file is a 404.
    const attachments = await this.attachments.blocksFor(attached, existing?.id ?? null, userId);
    const attachedText = attachments.map((block) => (block.type === 'text' ? block.text : '')).join('');
    const images = attachments.filter((block) => block.type === 'image').length;
    if (models.model) this.models.assertAcceptsImages(models.model, images);
    const promptTokens = estimatePromptTokens(dto.message + attachedText, images);
    // The reservation is also the budget check: a spent budget is 429 before anything else. Into
    // an existing conversation start_reply reserves (and keeps the reservation only when it starts
    // the reply); a new conversation is created only within the budget, so that reserves first.
    if (dto.conversation_id) return this.startReply(userId, dto, models, attachments, this.usage.reservationFor(promptTokens));
    const reserved = await this.usage.reserve(userId, promptTokens);
    try {
      return await this.startReply(userId, dto, models, attachments, reserved);
    } catch (error) {
      await this.usage.settle(userId, reserved, null).catch(() => undefined);
      throw error;
    }
  }

  /**
   * How the reply's model is chosen: the caller's (checked), else the conversation's, else the
   * user's default_model, else the server's. Into an existing conversation without attachments
   * start_reply chooses (it reads the conversation and the preference anyway).
   */
  private async modelChoice(userId: string, dto: SendMessageDto, existing: Conversation | null): Promise<ReplyStartRequest['models']> {
    const choice = { offered: this.models.availableModels(), serverDefault: this.models.defaultModel };
    if (dto.model) return { ...choice, model: this.models.resolve(dto.model) };
    if (dto.conversation_id && !existing) return { ...choice, model: null };
    const preferred = existing?.model || (await this.settings.defaultModel(userId));
    return { ...choice, model: this.models.choose(null, preferred) };
  }

  /** `budget`: the tokens reserved already, or the reservation for start_reply to make. */
  private async startReply(
    userId: string,
    dto: SendMessageDto,
    models: ReplyStartRequest['models'],
    attachments: AttachmentBlock[],
    budget: number | TokenReservation,
  ): Promise<StartedReply> {
    const title = titleFrom(dto.message);
    const created = dto.conversation_id ? null : await this.conversationsService.createWithinLimit({ userId, title, model: dto.model ? models.model : null });
    const conversationId = dto.conversation_id ?? created!.id;
    const messageId = randomUUID();
    const maxStreams = this.config.limits.maxConcurrentStreamsPerUser;
    const reservation = typeof budget === 'number' ? null : budget;
    const start = await this.replyStarts.start({ userId, conversationId, replyId: messageId, content: dto.message, models, staleSeconds: REPLY_STALE_SECONDS, maxActive: maxStreams, reservation });
    if (start.outcome !== 'started') {
      // A conversation made for this message only would be left empty: take it back.
      if (created) await this.conversations.delete(created.id, userId);
      throw await this.refusal(start, userId, maxStreams);
    }
    if (start.abandonedReplyId) this.logger.warn({ conversation_id: conversationId, message_id: start.abandonedReplyId }, 'Took over a reply whose server stopped');
    const reservedTokens = typeof budget === 'number' ? budget : start.reservedTokens;
    const input = { kind: 'message' as const, text: dto.message, attachments };
    const reply = { userId, conversationId, messageId, lastSeq: start.eventSeq, model: start.model, input, announceConversation: true, reservedTokens };
    try {
      return { conversationId, messageId, live: this.runner.start(reply) };
    } catch (error) {
      // The runner never took the reply: it must hold neither its tokens (first, so a failure
      // below cannot keep them; a reservation made before this call is send()'s to settle) nor
      // the conversation until it goes stale.
      if (reservation) await this.usage.settle(userId, start.reservedTokens, null).catch(() => undefined);
      await this.messages.markInterrupted(messageId);
      await this.conversations.releaseReply(conversationId, messageId, start.eventSeq);
      throw error;
    }
  }

  private async refusal(start: Exclude<ReplyStartOutcome, { outcome: 'started' }>, userId: string, maxStreams: number): Promise<AppException> {
    switch (start.outcome) {
      case 'budget':
        return this.usage.budgetSpent(start.limit, start.used);
      case 'not_found':
        return AppException.notFound('Conversation');
      case 'consent':
        // The request travels with the refusal, so a client can show it and decide.
        return new AppException(ErrorCode.Conflict, 'A consent request is waiting for a decision in this conversation (POST /chat/consent)', {
          consent_request: mapConsentRequest(await this.consents.get(start.consentRequestId, userId)),
        });
      case 'limit':
        return new AppException(ErrorCode.QuotaExceeded, `At most ${maxStreams} replies can be generated at once per user; wait for one to finish`);
      case 'busy':
        return new AppException(ErrorCode.Conflict, 'A reply is already being generated in this conversation');
    }
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
