import type { Namespace, Socket } from 'socket.io';
import type { AuthUser } from '../../common/auth/auth-user';
import type { ErrorCode } from '../../common/errors/error-code';
import type { ReplyEventData, ReplyEventType } from '../chat/reply-event';

export const REALTIME_NAMESPACE = '/assistant/realtime';

export const userRoom = (userId: string) => `user:${userId}`;
export const conversationRoom = (conversationId: string) => `conversation:${conversationId}`;
/** Sockets following a run (subscribe_run); they get its events in order from its event log. */
export const runRoom = (runId: string) => `run:${runId}`;

/** A run event on the socket: its data (with run_id) plus `id`, the run's SSE event id. */
export type RunEventPayload = Record<string, unknown> & { id: number; run_id: string };


/** Every acknowledgement a client receives. */
export type Ack<T = unknown> = { ok: true; data: T } | { ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

export type ErrorPayload = {
  code: ErrorCode;
  message: string;
};

/**
 * A streaming event on the socket: the SSE event's data plus `id` (the per-conversation
 * sequence, the SSE id), `conversation_id` and `message_id`, so clients can dedupe and re-sync
 * over GET /chat/conversations/:id/stream with Last-Event-ID.
 */
type StreamFields = { id: number; conversation_id: string; message_id: string };
export type StreamPayload<K extends ReplyEventType = ReplyEventType> = ReplyEventData[K] & StreamFields;

export interface RoomPayload {
  room_id: string;
  title: string;
}

export interface MembershipPayload {
  room_id: string;
  user_id: string;
  username: string;
}

export interface MessageReceivedPayload {
  room_id: string;
  role: 'user';
  content: string;
  user_id: string;
  /** The assistant message the reply streams into. */
  reply_message_id: string;
  timestamp: string;
}

/**
 * `error` is a reply's error (with the stream fields) or, without them, the connection's: the
 * session ended (TOKEN_EXPIRED, AUTHENTICATION_REQUIRED) or the server is stopping
 * (SERVICE_UNAVAILABLE), each followed by a disconnect.
 */
type StreamEvents = { [K in ReplyEventType]: (payload: K extends 'error' ? ErrorPayload & Partial<StreamFields> : StreamPayload<K>) => void };

/** Server -> client. Run events (run_progress, agent_message, run_completed) join with Runs. */
export interface ServerToClientEvents extends StreamEvents {
  room_created: (payload: RoomPayload) => void;
  room_joined: (payload: RoomPayload) => void;
  user_joined: (payload: MembershipPayload) => void;
  user_left: (payload: MembershipPayload) => void;
  message_received: (payload: MessageReceivedPayload) => void;
  pong: (payload: { timestamp: string }) => void;
  run_status: (payload: RunEventPayload) => void;
  run_progress: (payload: RunEventPayload) => void;
  agent_message: (payload: RunEventPayload) => void;
  run_completed: (payload: RunEventPayload) => void;
}

/** Client -> server; each takes an acknowledgement callback. */
export interface ClientToServerEvents {
  create_room: (payload: unknown, ack: (result: Ack) => void) => void;
  join_room: (payload: unknown, ack: (result: Ack) => void) => void;
  leave_room: (payload: unknown, ack: (result: Ack) => void) => void;
  send_message: (payload: unknown, ack: (result: Ack) => void) => void;
  consent: (payload: unknown, ack: (result: Ack) => void) => void;
  cancel: (payload: unknown, ack: (result: Ack) => void) => void;
  ping: (payload: unknown, ack: (result: Ack) => void) => void;
  subscribe_run: (payload: unknown, ack: (result: Ack) => void) => void;
}

export interface SocketData {
  user: AuthUser;
  /** Access token expiry, seconds since the epoch. */
  expiresAt: number;
}

export type RealtimeNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type ServerEventName = keyof ServerToClientEvents;
