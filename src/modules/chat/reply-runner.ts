import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ErrorCode } from '../../common/errors/error-code';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import type { AgentInput } from '../agent/agent.events';
import { AgentService } from '../agent/agent.service';
import { providerFailure } from '../agent/completion.service';
import { UsageService } from '../agent/usage.service';
import { ConsentService } from '../consent/consent.service';
import { mapConsentRequest } from '../consent/dto/consent.dto';
import type { StoredToolCall, StoredToolResult, TokenUsage } from '../agent/agent.types';
import type { MessageStatus } from './message.entity';
import { ReplyProgressRepository } from './reply-progress.repository';
import { LiveReply, ReplyStreams } from './reply-streams';

const FLUSH_INTERVAL_MS = 250;
const STORE_RETRY_MS = 1000;
/** A reply whose instance has not beaten for this long is considered dead (it can be taken over). */
export const REPLY_STALE_SECONDS = 30;

export interface ReplyStart {
  userId: string;
  conversationId: string;
  messageId: string;
  /** Last event id used in the conversation (the claim returns it). */
  lastSeq: number;
  model: string;
  input: AgentInput;
  /** What the assistant message already holds (a continuation after consent appends to it). */
  previous?: { content: string; toolCalls: StoredToolCall[]; results: StoredToolResult[]; usage: TokenUsage | null };
  announceConversation?: boolean;
  /** Tokens reserved against the daily budget for this reply; settled when it ends. */
  reservedTokens?: number;
}

interface ReplyState {
  content: string;
  toolCalls: StoredToolCall[];
  results: StoredToolResult[];
  usage: TokenUsage;
  status: MessageStatus;
  error: { code: ErrorCode; message: string } | null;
}

/** Why a reply stopped early: a person's cancel is not an error; the server stopping is. */
const INTERRUPTIONS: Record<string, { code: ErrorCode; message: string } | null> = {
  cancelled: null,
  shutdown: { code: ErrorCode.ServiceUnavailable, message: 'The server shut down while replying' },
  'lost claim': { code: ErrorCode.ServiceUnavailable, message: 'Another server took over this conversation while replying' },
};

/**
 * Generates replies apart from any HTTP response: the agent's events go to an in-memory
 * log (LiveReply) that subscribers follow, and are persisted in batches with the message,
 * so a dropped client loses nothing and a crash leaves the partial reply and its state.
 */
@Injectable()
export class ReplyRunner implements OnModuleInit {
  private readonly logger = new Logger(ReplyRunner.name);

  constructor(
    private readonly agent: AgentService,
    private readonly streams: ReplyStreams,
    private readonly progress: ReplyProgressRepository,
    private readonly consents: ConsentService,
    private readonly usage: UsageService,
    private readonly shutdown: ShutdownService,
  ) {}

  onModuleInit(): void {
    // On shutdown, stop generating and store what was produced as `interrupted`.
    this.shutdown.onShutdown(async () => {
      const live = this.streams.all();
      for (const reply of live) reply.abort.abort('shutdown');
      await Promise.all(live.map((reply) => reply.finished));
    });
  }

  start(params: ReplyStart): LiveReply {
    const live = this.streams.open(params.userId, params.conversationId, params.messageId, params.lastSeq);
    void this.execute(live, params);
    return live;
  }

  private async execute(live: LiveReply, params: ReplyStart): Promise<void> {
    const previous = params.previous;
    const state: ReplyState = {
      content: previous?.content ?? '',
      toolCalls: [...(previous?.toolCalls ?? [])],
      results: [...(previous?.results ?? [])],
      usage: { ...(previous?.usage ?? { input_tokens: 0, output_tokens: 0, total_tokens: 0 }) },
      status: 'streaming',
      error: null,
    };
    const runUsage: TokenUsage = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
    // One flush at a time: a tick that finds one running is skipped (writes coalesce instead of
    // queueing up behind a slow database), and the final flushes wait for it.
    let running: Promise<void> | undefined;
    const flush = async (release = false): Promise<boolean> => {
      while (running) await running;
      let stored = true;
      running = this.flush(live, state, release).catch((error) => {
        stored = false;
        this.logger.error({ err: error }, 'Flush failed');
      });
      await running;
      running = undefined;
      return stored;
    };
    const timer = setInterval(() => void (running ? undefined : flush()), FLUSH_INTERVAL_MS);

    try {
      if (params.announceConversation) live.emit('conversation_id', { conversation_id: params.conversationId });
      const run = this.agent.run(params.input, {
        userId: params.userId,
        conversationId: params.conversationId,
        model: params.model,
        signal: live.abort.signal,
      });
      for await (const event of run) {
        if (event.type === 'text') {
          state.content += event.content;
          live.emit('chunk', { content: event.content });
        } else if (event.type === 'tool_calls') {
          state.toolCalls.push(...event.toolCalls);
          live.emit('tool_calls', { tool_calls: event.toolCalls });
        } else if (event.type === 'tool_result') {
          state.results.push(event.result);
          live.emit('results', { results: [event.result] });
        } else if (event.type === 'usage') {
          for (const key of ['input_tokens', 'output_tokens', 'total_tokens'] as const) {
            state.usage[key] += event.usage[key];
            runUsage[key] += event.usage[key];
          }
        } else {
          const request = await this.consents.open({
            userId: params.userId,
            conversationId: params.conversationId,
            messageId: params.messageId,
            actions: event.actions,
          });
          state.status = 'awaiting_consent';
          live.emit('consent_required', { consent_request: mapConsentRequest(request) });
        }
      }
      if (live.abort.signal.aborted) throw live.abort.signal.reason;
      if (state.status === 'streaming') state.status = 'complete';
    } catch (error) {
      if (live.abort.signal.aborted) {
        state.status = 'interrupted';
        state.error = INTERRUPTIONS[String(live.abort.signal.reason)] ?? null;
      } else {
        state.status = 'error';
        state.error = { code: ErrorCode.ProviderError, message: `The model provider failed: ${providerFailure(error)}` };
        this.logger.warn({ conversation_id: params.conversationId, reason: providerFailure(error), err: error }, 'Reply failed');
        live.emit('error', state.error);
      }
    } finally {
      clearInterval(timer);
      // `done` and the message's final state are stored, and the conversation released (the last
      // write does both in one statement), before anyone hears `done`: a client that reads, sends
      // again or approves a consent request right after `done` finds the reply complete and the
      // conversation free.
      const done = live.append('done', { message_id: params.messageId, status: state.status, usage: state.usage });
      const storeFinal = async () => {
        if (!(await flush(true))) throw new Error('flush failed');
      };
      const stored = await storeFinal().then(
        () => true,
        () => false,
      );
      live.publish(done);
      // If PostgreSQL is down, keep the final state in memory and retry until it returns, so the
      // reply is stored rather than left `streaming` (the stale-claim takeover is the last resort).
      if (!stored) await this.untilStored(params.conversationId, storeFinal);
      if (runUsage.total_tokens > 0 || params.reservedTokens) {
        await this.usage.settle(params.userId, params.reservedTokens ?? 0, runUsage, params.model).catch(() => undefined);
      }
      this.streams.close(live);
    }
  }

  /** Retries `store` every second while the database is unreachable, for up to the stale-claim window (or until shutdown). */
  private async untilStored(conversationId: string, store: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + REPLY_STALE_SECONDS * 1000;
    for (;;) {
      try {
        return await store();
      } catch (error) {
        if (Date.now() >= deadline || this.shutdown.isShuttingDown) {
          this.logger.error({ err: error, conversation_id: conversationId }, 'Could not store the reply; it will be marked interrupted on takeover');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, STORE_RETRY_MS));
      }
    }
  }

  /** Writes new events and the message's current state; checks for a cancel from another instance. */
  private async flush(live: LiveReply, state: ReplyState, release: boolean): Promise<void> {
    const events = live.unflushed;
    live.unflushed = [];
    let beat;
    try {
      beat = await this.progress.save({
        conversationId: live.conversationId,
        messageId: live.messageId,
        events,
        lastSeq: live.lastSeq,
        message: { ...state },
        release,
      });
    } catch (error) {
      live.unflushed = [...events, ...live.unflushed];
      throw error;
    }
    if (live.isFinished) return;
    if (!beat.held || beat.cancelRequested) live.abort.abort(beat.held ? 'cancelled' : 'lost claim');
  }
}
