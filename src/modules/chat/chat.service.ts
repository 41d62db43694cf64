import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { AgentService } from '../agent/agent.service';
import { ModelRegistry } from '../agent/models/model-registry';
import { estimatePromptTokens, UsageService } from '../agent/usage.service';
import type { ConsentDecision, ConsentRequest } from '../consent/consent-request.entity';
import { ConsentRepository } from '../consent/consent.repository';
import { ConsentService } from '../consent/consent.service';
import { DecideConsentDto, mapConsentRequest } from '../consent/dto/consent.dto';
import { AttachmentBlock, AttachmentsService } from '../files/attachments.service';
import { FilesService } from '../files/files.service';
import { SettingsService } from '../settings/settings.service';
import { Conversation } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import { ChatReplyDto, SendMessageDto } from './dto/chat.dto';
import { MessageEventsRepository } from './message-events.repository';
import { MessagesRepository } from './messages.repository';
import { ReplyEvent, isTerminal } from './reply-event';
import { REPLY_STALE_SECONDS, ReplyRunner } from './reply-runner';
import { LiveReply, ReplyStreams } from './reply-streams';

const REPLAY_POLL_MS = 300;

export interface StartedReply {
  conversationId: string;
  messageId: string;
  live: LiveReply;
}

@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly events: MessageEventsRepository,
    private readonly consents: ConsentRepository,
    private readonly consentService: ConsentService,
    private readonly runner: ReplyRunner,
    private readonly streams: ReplyStreams,
    private readonly models: ModelRegistry,
    private readonly usage: UsageService,
    private readonly agent: AgentService,
    private readonly config: AppConfig,
    private readonly files: FilesService,
    private readonly attachments: AttachmentsService,
    private readonly settings: SettingsService,
  ) {}

  async createConversation(userId: string, data: { title?: string; model?: string }): Promise<Conversation> {
    const model = data.model ? this.models.resolve(data.model) : null;
    return this.createWithinLimit({ userId, title: data.title ?? 'New conversation', model });
  }

  private async createWithinLimit(data: { userId: string; title: string; model: string | null }): Promise<Conversation> {
    const max = this.config.limits.maxConversationsPerUser;
    const conversation = await this.conversations.createWithinLimit(data, max);
    if (!conversation) throw new AppException(ErrorCode.QuotaExceeded, `At most ${max} conversations per user; delete some to start new ones`);
    return conversation;
  }

  listConversations(userId: string, query: { search?: string; limit: number; offset: number }) {
    return this.conversations.list(userId, query);
  }

  async getConversation(id: string, userId: string): Promise<Conversation> {
    const conversation = await this.conversations.findOwned(id, userId);
    if (!conversation) throw AppException.notFound('Conversation');
    return conversation;
  }

  async updateConversation(id: string, userId: string, patch: { title?: string; model?: string }): Promise<Conversation> {
    const model = patch.model === undefined ? undefined : this.models.resolve(patch.model);
    const updated = await this.conversations.update(id, userId, { title: patch.title, model });
    if (!updated) throw AppException.notFound('Conversation');
    return updated;
  }

  async deleteConversation(id: string, userId: string): Promise<void> {
    await this.getConversation(id, userId);
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
    await this.getConversation(conversationId, userId);
    const before = query.before ? await this.messages.findOwned(query.before, userId) : undefined;
    if (query.before && (!before || before.conversationId !== conversationId)) throw AppException.notFound('Message');
    return this.messages.history(conversationId, userId, { limit: query.limit, before: before ?? undefined });
  }

  /**
   * Stores the user's message, takes the conversation (one reply at a time, across
   * instances) and starts the reply in the background. Every refusal happens before
   * anything is stored.
   */
  async send(userId: string, dto: SendMessageDto): Promise<StartedReply> {
    const existing = dto.conversation_id ? await this.getConversation(dto.conversation_id, userId) : null;
    // The conversation's model, else the user's default_model, else the server's default.
    const preferred = dto.model || existing?.model ? existing?.model : await this.settings.defaultModel(userId);
    const model = this.models.choose(dto.model, preferred);
    await this.usage.assertWithinBudget(userId);
    // Read before anything is stored: another user's or another conversation's file is a 404.
    const attachments = await this.attachments.blocksFor(dto.attachments ?? [], existing?.id ?? null, userId);
    const attachedText = attachments.map((block) => (block.type === 'text' ? block.text : '')).join('');
    const images = attachments.filter((block) => block.type === 'image').length;
    this.models.assertAcceptsImages(model, images);
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
    if (existing && (await this.consents.findPending(existing.id, userId))) {
      throw new AppException(ErrorCode.Conflict, 'A consent request is waiting for a decision in this conversation (POST /chat/consent)');
    }
    const conversation = existing ?? (await this.createWithinLimit({ userId, title: titleFrom(dto.message), model: dto.model ? model : null }));

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

  /** Waits for the reply to end and answers it whole (non-streaming clients). */
  async awaitReply(started: StartedReply, userId: string): Promise<ChatReplyDto> {
    await started.live.finished;
    const message = await this.messages.findOwned(started.messageId, userId);
    if (!message) throw AppException.notFound('Message');
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
    await this.getConversation(conversationId, userId);
    const live = this.streams.get(conversationId);
    if (live) {
      live.abort.abort('cancelled');
      return true;
    }
    return (await this.conversations.requestCancel(conversationId, userId)) !== null;
  }

  /** Records a consent decision, then resumes the paused agent (same message, same event ids). */
  async decideConsent(userId: string, dto: DecideConsentDto) {
    const decided = await this.consentService.decide(userId, dto);
    const live = await this.resume(decided.request, decided.request.decisions ?? []);
    return {
      result: {
        consent_request_id: decided.request.id,
        status: decided.request.status,
        consent_token: decided.tokens[0] ?? null,
        // Seed 000's wording for an approval.
        message: decided.request.status === 'rejected' ? 'Consent rejected. The agent continues without the action.' : 'Consent approved. You may proceed with the action.',
      },
      conversationId: decided.request.conversationId,
      live,
    };
  }

  async resume(request: ConsentRequest, decisions: ConsentDecision[]): Promise<LiveReply | null> {
    // A paused run continues as a queued job (Runs module), not as a chat reply.
    if (request.runId || !request.conversationId || !request.messageId) {
      await this.consentService.resumeRun(request, decisions);
      return null;
    }
    return this.resumeReply({ ...request, conversationId: request.conversationId, messageId: request.messageId }, decisions);
  }

  private async resumeReply(request: ConsentRequest & { conversationId: string; messageId: string }, decisions: ConsentDecision[]): Promise<LiveReply | null> {
    const claim = await this.conversations.claimReply(request.conversationId, request.userId, request.messageId, REPLY_STALE_SECONDS);
    if (!claim) {
      this.logger.error({ consent_request_id: request.id }, 'Could not resume after consent: a reply is running');
      return null;
    }
    const message = await this.messages.findOwned(request.messageId, request.userId);
    const conversation = await this.conversations.findOwned(request.conversationId, request.userId);
    if (!message || !conversation) {
      await this.conversations.releaseReply(request.conversationId, request.messageId, claim.eventSeq);
      return null;
    }
    await this.messages.update(message.id, { status: 'streaming' });
    const model = message.model ?? this.models.choose(null, conversation.model);
    const previous = { content: message.content, toolCalls: message.toolCalls, results: message.results, usage: message.usage };
    const input = { kind: 'resume' as const, decisions };
    return this.runner.start({ userId: request.userId, conversationId: request.conversationId, messageId: message.id, lastSeq: claim.eventSeq, model, input, previous });
  }

  /**
   * The events of a conversation after `afterSeq` (default: from the start of its latest
   * reply), ending with the first `done`: from memory while the reply runs here, from
   * storage otherwise (polling while another instance is still writing it).
   */
  async *replay(conversationId: string, userId: string, afterSeq?: number, signal?: AbortSignal): AsyncGenerator<ReplyEvent> {
    await this.getConversation(conversationId, userId);
    let cursor = afterSeq ?? (await this.latestReplyStart(conversationId, userId));
    while (!signal?.aborted) {
      const live = this.streams.get(conversationId);
      const stored = await this.events.after(conversationId, cursor);
      for (const event of stored) {
        if (live && event.id >= live.firstSeq) break;
        yield event;
        cursor = event.id;
        if (isTerminal(event)) return;
      }
      if (live) {
        yield* followLive(live, cursor, signal);
        return;
      }
      const conversation = await this.getConversation(conversationId, userId);
      const beating = conversation.replyHeartbeatAt && Date.now() - conversation.replyHeartbeatAt.getTime() < REPLY_STALE_SECONDS * 1000;
      if (!conversation.activeReplyId || !beating) {
        if (stored.length === 0) return;
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
    }
  }

  private async latestReplyStart(conversationId: string, userId: string): Promise<number> {
    const latest = await this.messages.latestAssistant(conversationId, userId);
    if (!latest) return Number.MAX_SAFE_INTEGER;
    const live = this.streams.get(conversationId);
    if (live?.messageId === latest.id) return live.firstSeq - 1;
    const first = await this.events.firstOf(conversationId, latest.id);
    return first === null ? Number.MAX_SAFE_INTEGER : first - 1;
  }
}

/** Bridges a live reply's listener into an async stream, ending after `done`. */
async function* followLive(live: LiveReply, afterSeq: number, signal?: AbortSignal): AsyncGenerator<ReplyEvent> {
  const queue: ReplyEvent[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = live.subscribe(afterSeq, (event) => {
    queue.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      const event = queue.shift();
      if (event) {
        yield event;
        if (isTerminal(event)) return;
        continue;
      }
      if (live.isFinished && queue.length === 0) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}

function titleFrom(message: string): string {
  const line = message.trim().split('\n')[0];
  return line.length > 60 ? `${line.slice(0, 57)}...` : line || 'New conversation';
}
