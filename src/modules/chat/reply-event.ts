/** Streaming event types, the same on SSE and Socket.IO (DESIGN.md section 6). */
export type ReplyEventType = 'conversation_id' | 'chunk' | 'tool_calls' | 'results' | 'consent_required' | 'done' | 'error';

export interface ReplyEvent {
  /** Increases per conversation: the SSE `id`, and what Last-Event-ID refers to. */
  id: number;
  messageId: string;
  type: ReplyEventType;
  data: Record<string, unknown>;
}

/** Every reply ends with `done` (after `error` when it failed). */
export const isTerminal = (event: ReplyEvent) => event.type === 'done';
