import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { conversationRoom, RealtimeNamespace, RealtimeSocket, ServerToClientEvents, ServerEventName, userRoom } from './realtime.events';

/**
 * How any module talks to connected clients: emit a typed event to a user's sockets or to a
 * conversation's room. With REDIS_URL the adapter carries it to sockets on every instance.
 * Before the gateway is up (or in a context without one) emits are dropped, and so are emits to
 * a room nobody would hear (see `reaches`).
 */
@Injectable()
export class RealtimeEmitter implements OnModuleInit {
  private namespace?: RealtimeNamespace;
  private readonly connectionListeners: Array<(socket: RealtimeSocket) => void> = [];

  /** With REDIS_URL the adapter publishes every broadcast: sockets on other instances may be in any room. */
  private readonly crossInstance: boolean;

  constructor(config: AppConfig, @Optional() private readonly metrics?: AppMetrics) {
    this.crossInstance = Boolean(config.redisUrl);
  }

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

  /**
   * Whether an emit to `room` can reach anyone: a socket of this instance is in it, or the Redis
   * adapter carries it to the others. Lets callers skip building a payload nobody would receive
   * (a streamed reply offers every token to its conversation's room).
   */
  reaches(room: string): boolean {
    if (!this.namespace) return false;
    return this.crossInstance || this.namespace.adapter.rooms.has(room);
  }

  toConversation<E extends ServerEventName>(conversationId: string, event: E, ...payload: Parameters<ServerToClientEvents[E]>): boolean {
    return this.emit(conversationRoom(conversationId), event, payload);
  }

  private emit<E extends ServerEventName>(room: string, event: E, payload: Parameters<ServerToClientEvents[E]>): boolean {
    // The in-memory adapter encodes the packet before it looks for sockets: skip it for an empty room.
    if (!this.reaches(room)) return false;
    return this.namespace!.to(room).emit(event, ...payload);
  }
}
