import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { AppException } from '../../common/errors/app.exception';
import { createValidationPipe } from '../../common/http/validation';
import { ChatService } from '../chat/chat.service';
import { SendMessageDto } from '../chat/dto/chat.dto';
import type { ReplyEvent } from '../chat/reply-event';
import { ReplyStreams } from '../chat/reply-streams';
import { PlainConnection, PlainFrame, PlainProtocol, PlainWsServer } from './plain-ws.server';

export const CHAT_WS_PATH = '/ws/chat';
const validation = createValidationPipe();

interface ChatState {
  /** Conversations this socket sent to: their later replies (after a consent decision) come here too. */
  conversations: Set<string>;
  /** Conversations whose reply this socket is reading through ChatService.replay (no double delivery). */
  replaying: Set<string>;
  abort: AbortController;
}

/**
 * Seed 000's `/ws/chat?token=`: `{type: "message", message, conversation_id?}` in; the reply's
 * events out as `{type, ...}` frames (`conversation_id`, `chunk`, `tool_calls`, `results`,
 * `consent_required`, `done`, `error`), plus `pong`. The reply is ChatService.send's, read with
 * ChatService.replay like SSE; continuations after a consent decision (POST /chat/consent)
 * arrive from ReplyStreams.published, as the Socket.IO gateway forwards them.
 */
@Injectable()
export class ChatPlainWs implements OnModuleInit, OnModuleDestroy, PlainProtocol {
  private readonly logger = new Logger(ChatPlainWs.name);
  private readonly open = new Map<PlainConnection, ChatState>();
  private published?: Subscription;

  constructor(
    private readonly server: PlainWsServer,
    private readonly chat: ChatService,
    private readonly streams: ReplyStreams,
  ) {}

  onModuleInit(): void {
    this.server.register(CHAT_WS_PATH, this);
    this.published = this.streams.published.subscribe(({ userId, conversationId, event }) => {
      for (const [connection, state] of this.open) {
        if (connection.user.id === userId && state.conversations.has(conversationId) && !state.replaying.has(conversationId)) {
          connection.send(frameOf(conversationId, event));
        }
      }
    });
  }

  onModuleDestroy(): void {
    this.published?.unsubscribe();
  }

  onOpen(connection: PlainConnection): void {
    const state: ChatState = { conversations: new Set(), replaying: new Set(), abort: new AbortController() };
    this.open.set(connection, state);
    connection.onClose(() => {
      state.abort.abort();
      this.open.delete(connection);
    });
  }

  async onFrame(connection: PlainConnection, frame: PlainFrame): Promise<void> {
    const state = this.open.get(connection);
    if (!state) return;
    if (frame.type === 'ping') return connection.send({ type: 'pong', timestamp: new Date().toISOString() });
    if (frame.type !== 'message') throw AppException.validation({ type: [`unknown frame type "${frame.type}"; expected message or ping`] });
    const body = Object.fromEntries(Object.entries(frame).filter(([key]) => key !== 'type'));
    const dto = (await validation.transform(body, { type: 'body', metatype: SendMessageDto })) as SendMessageDto;
    const { user } = connection;
    const started = await this.chat.send(user.id, { message: dto.message, conversation_id: dto.conversation_id, model: dto.model });
    state.conversations.add(started.conversationId);
    state.replaying.add(started.conversationId);
    void (async () => {
      try {
        for await (const event of this.chat.replay(started.conversationId, user.id, started.live.firstSeq - 1, state.abort.signal)) {
          connection.send(frameOf(started.conversationId, event));
        }
      } catch (error) {
        connection.sendError(error);
        this.logger.warn({ err: error }, 'Plain WebSocket reply stream failed');
      } finally {
        state.replaying.delete(started.conversationId);
      }
    })();
  }
}

/** Seed 000's frames: the event's fields at the top level; an error's message is `error`. */
function frameOf(conversationId: string, event: ReplyEvent): Record<string, unknown> {
  const frame: Record<string, unknown> = { type: event.type, ...event.data, id: event.id, conversation_id: conversationId, message_id: event.messageId };
  if (event.type === 'error') frame.error = event.data.message;
  return frame;
}
