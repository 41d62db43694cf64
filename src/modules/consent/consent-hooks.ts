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
 * The plain single-use token of one approved tool call that will run: the resumed agent run
 * carries it (in its `configurable`) to the gated tool, which redeems it before acting.
 */
export interface ConsentGrant {
  consent_request_id: string;
  tool_call_id: string | null;
  tool: string;
  token: string;
}

/**
 * Continues what paused, with the decisions and the grants of the calls that will run
 * (registered by Chat and Runs, which sit above Consent). Must be safe to call twice for one
 * request: a replayed resume acts once. Resolves once the continuation has started (or there
 * is nothing left to continue); throws when it cannot start now, and the sweep retries later.
 */
export type ConsentResumer = (request: ConsentRequest, decisions: ConsentDecision[], grants: ConsentGrant[]) => Promise<ResumedContinuation | null>;

/**
 * Checks edited arguments against the tool's schema (registered by the agent module, which
 * owns the tools). Returns errors per argument path, or null when the arguments fit.
 */
export type ArgumentsValidator = (tool: string, args: Record<string, unknown>) => Record<string, string[]> | null;

/** A consent request's life: notifications and metrics follow it without Consent knowing them. */
export interface ConsentEvent {
  type: 'opened' | 'decided' | 'expired';
  request: ConsentRequest;
}

export type ConsentObserver = (event: ConsentEvent) => void | Promise<void>;
