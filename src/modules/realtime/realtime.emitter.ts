import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { AppMetrics } from '../metrics/app-metrics';
import { conversationRoom, RealtimeNamespace, RealtimeSocket, ServerToClientEvents, ServerEventName, userRoom } from './realtime.events';

/**
 * How any module talks to connected clients: emit a typed event to a user's sockets or to a
 * conversation's room. With REDIS_URL the adapter carries it to sockets on every instance.
 * Before the gateway is up (or in a context without one) emits are dropped.
 */
@Injectable()
export class RealtimeEmitter implements OnModuleInit {
  private namespace?: RealtimeNamespace;
  private readonly connectionListeners: Array<(socket: RealtimeSocket) => void> = [];

  constructor(@Optional() private readonly metrics?: AppMetrics) {}

  onModuleInit(): void {
    this.metrics?.gaugeFrom('socketio_connected_sockets', 'Socket.IO connections on this instance (/assistant/realtime)', () => this.connectedSockets);
  }

  /** Called once by the gateway when its namespace exists. */
  attach(namespace: RealtimeNamespace): void {
    this.namespace = namespace;
    for (const listener of this.connectionListeners) namespace.on('connection', listener);
  }

  /** Lets another module handle client events of its own (Runs: subscribe_run) on every socket. */
  onConnection(listener: (socket: RealtimeSocket) => void): void {
    this.connectionListeners.push(listener);
    this.namespace?.on('connection', listener);
  }

  /** To a user's sockets except those in `exceptRoom` (which hear it another way). */
  toUserExcept<E extends ServerEventName>(userId: string, exceptRoom: string, event: E, ...payload: Parameters<ServerToClientEvents[E]>): boolean {
    if (!this.namespace) return false;
    return this.namespace.to(userRoom(userId)).except(exceptRoom).emit(event, ...payload);
  }

  /** Sockets connected to this instance. */
  get connectedSockets(): number {
    return this.namespace?.sockets.size ?? 0;
  }

  toUser<E extends ServerEventName>(userId: string, event: E, ...payload: Parameters<ServerToClientEvents[E]>): boolean {
    return this.emit(userRoom(userId), event, payload);
  }

  toConversation<E extends ServerEventName>(conversationId: string, event: E, ...payload: Parameters<ServerToClientEvents[E]>): boolean {
    return this.emit(conversationRoom(conversationId), event, payload);
  }

  private emit<E extends ServerEventName>(room: string, event: E, payload: Parameters<ServerToClientEvents[E]>): boolean {
    if (!this.namespace) return false;
    return this.namespace.to(room).emit(event, ...payload);
  }
}
