import { Logger, OnModuleDestroy, UseFilters, UseGuards } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { inputProblem } from '../../common/http/input-guard';
import { createValidationPipe } from '../../common/http/validation';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { AppConfig } from '../../config/app-config';
import { AccessTokenVerifier } from '../auth/access-token.verifier';
import { ConversationsService } from '../chat/conversations.service';
import { CreateConversationDto, mapConversation } from '../chat/dto/chat.dto';
import { RepliesService } from '../chat/replies.service';
import type { ReplyEvent } from '../chat/reply-event';
import { ReplyStreams } from '../chat/reply-streams';
import { ConsentService } from '../consent/consent.service';
import { mapDecisionResult } from '../consent/dto/consent.dto';
import { ConnectionLimiter } from './connection-limiter';
import { RoomDto, SocketConsentDto, SocketSendMessageDto } from './dto/realtime.dto';
import { RealtimeAuthMiddleware } from './realtime-auth.middleware';
import { RealtimeExceptionFilter } from './realtime-exception.filter';
import { SocketRateLimitGuard } from './socket-rate-limit.guard';
import { RealtimeEmitter } from './realtime.emitter';
import { Ack, conversationRoom, ErrorPayload, REALTIME_NAMESPACE, RealtimeNamespace, RealtimeSocket, StreamPayload, userRoom } from './realtime.events';

const validation = createValidationPipe();
/** setTimeout's ceiling; tokens living longer are caught by the periodic session check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Socket.IO namespace /assistant/realtime (DESIGN.md section 6): another door to the same
 * conversations as REST. Every reply generated on this instance, however it was started, is
 * emitted to its conversation's room; with the Redis adapter that reaches every instance.
 */
@UseFilters(RealtimeExceptionFilter)
@UseGuards(SocketRateLimitGuard)
@WebSocketGateway({ namespace: REALTIME_NAMESPACE })
export class RealtimeGateway implements OnGatewayInit<RealtimeNamespace>, OnGatewayConnection<RealtimeSocket>, OnGatewayDisconnect<RealtimeSocket>, OnModuleDestroy {
  private readonly logger = new Logger(RealtimeGateway.name);
  private namespace?: RealtimeNamespace;
  private stopObserving?: () => void;
  private sessionCheck?: NodeJS.Timeout;
  private checking = false;
  private unregisterShutdown?: () => void;
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly auth: RealtimeAuthMiddleware,
    private readonly emitter: RealtimeEmitter,
    private readonly limiter: ConnectionLimiter,
    private readonly verifier: AccessTokenVerifier,
    private readonly conversations: ConversationsService,
    private readonly replies: RepliesService,
    private readonly consents: ConsentService,
    private readonly streams: ReplyStreams,
    private readonly shutdown: ShutdownService,
    private readonly config: AppConfig,
  ) {}

  afterInit(namespace: RealtimeNamespace): void {
    this.namespace = namespace;
    namespace.use(this.auth.use);
    this.emitter.attach(namespace);
    this.stopObserving = this.streams.observe((reply, event) => this.forward(reply.conversationId, event));
    this.sessionCheck = setInterval(() => void this.checkSessions(), this.config.realtime.sessionCheckSeconds * 1000);
    this.sessionCheck.unref();
    this.unregisterShutdown = this.shutdown.onShutdown(() => this.closeAll());
  }

  async handleConnection(socket: RealtimeSocket): Promise<void> {
    const { user, expiresAt } = socket.data;
    const untilExpiry = Math.min(expiresAt * 1000 - Date.now(), MAX_TIMER_MS);
    this.expiryTimers.set(
      socket.id,
      setTimeout(() => this.endSession(socket, { code: ErrorCode.TokenExpired, message: 'Access token has expired; reconnect with a fresh one' }), Math.max(untilExpiry, 0)),
    );
    await socket.join(userRoom(user.id));
  }

  handleDisconnect(socket: RealtimeSocket): void {
    clearTimeout(this.expiryTimers.get(socket.id));
    this.expiryTimers.delete(socket.id);
  }

  /** Creates a conversation (REST: POST /chat/conversations) and joins its room. */
  @SubscribeMessage('create_room')
  async createRoom(@ConnectedSocket() socket: RealtimeSocket, @MessageBody() body: unknown) {
    const dto = await validate(CreateConversationDto, body);
    const conversation = await this.conversations.create(socket.data.user.id, dto);
    await socket.join(conversationRoom(conversation.id));
    const room = { room_id: conversation.id, title: conversation.title };
    socket.emit('room_created', room);
    return ok({ ...room, conversation: mapConversation(conversation) });
  }

  /** Joins a conversation's room; only its owner may (anyone else: RESOURCE_NOT_FOUND). */
  @SubscribeMessage('join_room')
  async joinRoom(@ConnectedSocket() socket: RealtimeSocket, @MessageBody() body: unknown) {
    const { room_id } = await validate(RoomDto, body);
    const { user } = socket.data;
    const conversation = await this.conversations.get(room_id, user.id);
    await socket.join(conversationRoom(room_id));
    const room = { room_id, title: conversation.title };
    socket.emit('room_joined', room);
    socket.to(conversationRoom(room_id)).emit('user_joined', { room_id, user_id: user.id, username: user.username });
    return ok({ ...room, conversation: mapConversation(conversation) });
  }

  @SubscribeMessage('leave_room')
  async leaveRoom(@ConnectedSocket() socket: RealtimeSocket, @MessageBody() body: unknown) {
    const { room_id } = await validate(RoomDto, body);
    const { user } = socket.data;
    const room = conversationRoom(room_id);
    const wasMember = socket.rooms.has(room);
    if (wasMember) {
      await socket.leave(room);
      socket.to(room).emit('user_left', { room_id, user_id: user.id, username: user.username });
    }
    return ok({ room_id, left: wasMember });
  }

  /**
   * The same as POST /chat/message: the user's message goes to the room as
   * `message_received`, and the reply streams to the room (chunk ... done).
   */
  @SubscribeMessage('send_message')
  async sendMessage(@ConnectedSocket() socket: RealtimeSocket, @MessageBody() body: unknown) {
    const dto = await validate(SocketSendMessageDto, body);
    const { user } = socket.data;
    // Ownership first, and in the room before the reply's first event.
    await this.conversations.get(dto.room_id, user.id);
    await socket.join(conversationRoom(dto.room_id));
    const started = await this.replies.send(user.id, { message: dto.message, conversation_id: dto.room_id, model: dto.model, attachments: dto.attachments });
    this.emitter.toConversation(dto.room_id, 'message_received', {
      room_id: dto.room_id,
      role: 'user',
      content: dto.message,
      user_id: user.id,
      reply_message_id: started.messageId,
      timestamp: new Date().toISOString(),
    });
    return ok({ conversation_id: started.conversationId, message_id: started.messageId });
  }

  /** The same body as POST /chat/consent; the agent's continuation streams to the room. */
  @SubscribeMessage('consent')
  async consent(@ConnectedSocket() socket: RealtimeSocket, @MessageBody() body: unknown) {
    const dto = await validate(SocketConsentDto, body);
    const { user } = socket.data;
    const request = await this.consents.get(dto.consent_request_id, user.id);
    if (request.conversationId) await socket.join(conversationRoom(request.conversationId));
    return ok(mapDecisionResult(await this.consents.decide(user.id, dto)));
  }

  @SubscribeMessage('cancel')
  async cancel(@ConnectedSocket() socket: RealtimeSocket, @MessageBody() body: unknown) {
    const { room_id } = await validate(RoomDto, body);
    const cancelled = await this.replies.cancel(room_id, socket.data.user.id);
    return ok({ conversation_id: room_id, cancelled });
  }

  @SubscribeMessage('ping')
  ping(@ConnectedSocket() socket: RealtimeSocket) {
    const pong = { timestamp: new Date().toISOString() };
    socket.emit('pong', pong);
    return ok(pong);
  }

  onModuleDestroy(): void {
    this.stopObserving?.();
    clearInterval(this.sessionCheck);
    this.unregisterShutdown?.();
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
  }

  private forward(conversationId: string, event: ReplyEvent): void {
    if (!this.emitter.reaches(conversationRoom(conversationId))) return;
    const payload = { ...event.data, id: event.id, conversation_id: conversationId, message_id: event.messageId };
    // `type` and `data` agree by construction (ReplyEvent); the emitter's per-event signature cannot follow the union.
    this.emitter.toConversation(conversationId, event.type as 'chunk', payload as StreamPayload<'chunk'>);
  }

  /**
   * Disconnects this instance's sockets whose sign-in ended (logout, refresh-token reuse,
   * account disabled), and renews their connection-count leases.
   */
  private async checkSessions(): Promise<void> {
    if (this.checking || !this.namespace) return;
    this.checking = true;
    try {
      const sessions = new Map<string, RealtimeSocket[]>();
      for (const socket of this.namespace.sockets.values()) {
        const { user } = socket.data;
        if (!user) continue;
        const key = `${user.id}:${user.sessionId}`;
        sessions.set(key, [...(sessions.get(key) ?? []), socket]);
      }
      for (const sockets of sessions.values()) {
        const { user } = sockets[0].data;
        if (await this.verifier.isActive(user)) continue;
        for (const socket of sockets) this.endSession(socket, { code: ErrorCode.AuthenticationRequired, message: 'The session has ended (signed out or account disabled)' });
      }
      const live = [...this.namespace.sockets.values()].filter((socket) => socket.connected && socket.data.user);
      await this.limiter.renew(live.map((socket) => ({ userId: socket.data.user.id, socketId: socket.id })));
    } catch (error) {
      this.logger.warn({ err: error }, 'Socket session check failed; retrying next interval');
    } finally {
      this.checking = false;
    }
  }

  private endSession(socket: RealtimeSocket, error: ErrorPayload): void {
    if (!socket.connected) return;
    socket.emit('error', error);
    socket.disconnect(true);
  }

  /** Graceful shutdown: a final `error` (SERVICE_UNAVAILABLE) to this instance's sockets, then close them. */
  private closeAll(): void {
    if (!this.namespace) return;
    for (const socket of this.namespace.sockets.values()) {
      this.endSession(socket, { code: ErrorCode.ServiceUnavailable, message: 'The server is shutting down; reconnect' });
    }
  }
}

function ok<T>(data: T): Ack<T> {
  return { ok: true, data };
}

/** Validates a socket payload exactly like a REST body (same DTOs, same pipe, VALIDATION_ERROR). */
async function validate<T extends object>(metatype: new () => T, body: unknown): Promise<T> {
  const value = body ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) throw AppException.validation({ payload: ['must be an object'] });
  const problem = inputProblem(value);
  if (problem) throw new AppException(ErrorCode.BadRequest, problem);
  return (await validation.transform(value, { type: 'body', metatype })) as T;
}
