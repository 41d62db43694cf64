import type { SseEvent } from '../../common/http/sse';
import type { ConsentDecision, ConsentRequest } from './consent-request.entity';

/** What paused for consent: a chat reply (conversation + message) or a run. */
export type PausedKind = 'reply' | 'run';

export const pausedKind = (request: ConsentRequest): PausedKind => (request.runId || !request.conversationId ? 'run' : 'reply');

/** A continuation started by a decision, for a client that wants to follow it. */
export interface ResumedContinuation {
  follow(signal: AbortSignal): AsyncIterable<SseEvent>;
}

/**
 * Continues what paused, with the decisions (registered by Chat and Runs, which sit above
 * Consent). Must be safe to call twice for one request: a replayed resume acts once.
 */
export type ConsentResumer = (request: ConsentRequest, decisions: ConsentDecision[]) => Promise<ResumedContinuation | null>;

/** A consent request's life: notifications and metrics follow it without Consent knowing them. */
export interface ConsentEvent {
  type: 'opened' | 'decided' | 'expired';
  request: ConsentRequest;
}

export type ConsentObserver = (event: ConsentEvent) => void | Promise<void>;
