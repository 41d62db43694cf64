import type { ErrorCode } from '../../common/errors/error-code';
import type { ConsentRequestDto } from '../consent/dto/consent.dto';
import type { StoredToolCall, StoredToolResult, TokenUsage } from '../agent/agent.types';
import type { MessageStatus } from './message.entity';

/** Each streaming event's payload, the same on SSE and both sockets (DESIGN.md section 6). */
export type ReplyEventData = {
  conversation_id: { conversation_id: string };
  chunk: { content: string };
  tool_calls: { tool_calls: StoredToolCall[] };
  results: { results: StoredToolResult[] };
  consent_required: { consent_request: ConsentRequestDto };
  done: { message_id: string; status: MessageStatus; usage: TokenUsage };
  error: { code: ErrorCode; message: string };
};

export type ReplyEventType = keyof ReplyEventData;

/**
 * One event of a reply; `type` tells its `data`. `id` increases per conversation: the SSE
 * `id`, and what Last-Event-ID refers to.
 */
export type ReplyEvent = { [K in ReplyEventType]: { id: number; messageId: string; type: K; data: ReplyEventData[K] } }[ReplyEventType];

export type DoneEvent = Extract<ReplyEvent, { type: 'done' }>;

/** Every reply (and every continuation after a consent decision) ends with `done`, after `error` when it failed. */
export const isDone = (event: ReplyEvent): event is DoneEvent => event.type === 'done';

/** A `done` that only pauses the reply: a consent decision continues the same message. */
export const isConsentPause = (event: ReplyEvent): event is DoneEvent => event.type === 'done' && event.data.status === 'awaiting_consent';
