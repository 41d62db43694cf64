import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { createValidationPipe } from '../../common/http/validation';
import { SendMessageDto } from '../chat/dto/chat.dto';
import { RepliesService } from '../chat/replies.service';
import type { ReplyEvent } from '../chat/reply-event';
import { followLive } from '../chat/reply-replay';
import { ReplyStreams } from '../chat/reply-streams';
import { PlainConnection, PlainFrame, PlainProtocol, PlainWsServer } from './plain-ws.server';

export const CHAT_WS_PATH = '/ws/chat';
const validation = createValidationPipe();

interface ChatState {
  /** Conversations this socket sent to: their later replies (after a consent decision) come here too. */
  conversations: Set<string>;
  /** Conversations whose reply this socket is following since it sent the message (no double delivery). */
  replaying: Set<string>;
  abort: AbortController;
}

/**
 * Seed 000's `/ws/chat?token=`: `{type: "message", message, conversation_id?}` in; the reply's
 * events out as `{type, ...}` frames (`conversation_id`, `chunk`, `tool_calls`, `results`,
 * `consent_required`, `done`, `error`), plus `pong`. The reply is RepliesService.send's, followed
 * in memory like the streaming POST; continuations after a consent decision (POST /chat/consent)
 * arrive through ReplyStreams.observe, as the Socket.IO gateway forwards them.
 */
@Injectable()
export class ChatPlainWs implements OnModuleInit, OnModuleDestroy, PlainProtocol {
  private readonly logger = new Logger(ChatPlainWs.name);
  private readonly open = new Map<PlainConnection, ChatState>();
  private stopObserving?: () => void;

  constructor(
    private readonly server: PlainWsServer,
    private readonly replies: RepliesService,
    private readonly streams: ReplyStreams,
  ) {}

  onModuleInit(): void {
    this.server.register(CHAT_WS_PATH, this);
    this.stopObserving = this.streams.observe((reply, event) => {
      for (const [connection, state] of this.open) {
        if (connection.user.id === reply.userId && state.conversations.has(reply.conversationId) && !state.replaying.has(reply.conversationId)) {
          connection.send(frameOf(reply.conversationId, event));
        }
      }
    });
  }

  onModuleDestroy(): void {
    this.stopObserving?.();
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
    const started = await this.replies.send(user.id, { message: dto.message, conversation_id: dto.conversation_id, model: dto.model });
    state.conversations.add(started.conversationId);
    state.replaying.add(started.conversationId);
    void (async () => {
      try {
        for await (const event of followLive(started.live, started.live.firstSeq - 1, state.abort.signal)) {
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
