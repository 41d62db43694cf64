import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ConsentService } from '../consent/consent.service';
import { Conversation } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import { MessageEventsRepository } from './message-events.repository';
import { MessagesRepository } from './messages.repository';
import { DoneEvent, isConsentPause, isDone, ReplyEvent } from './reply-event';
import { REPLY_STALE_SECONDS } from './reply-runner';
import { LiveReply, ReplyStreams } from './reply-streams';

const REPLAY_POLL_MS = 300;
/**
 * How long a re-attach waits, once a consent decision is taken, for the continuation to claim
 * the conversation (normally milliseconds; a resume lost with its instance takes longer).
 */
const RESUME_WAIT_MS = 30_000;

/**
 * Re-attach (GET /chat/conversations/:id/stream, an idempotent retry of a streamed message):
 * a reply's events from memory while it runs here, from storage otherwise, through a consent
 * pause into its continuation (DESIGN.md section 6).
 */
@Injectable()
export class ReplyReplay {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly events: MessageEventsRepository,
    private readonly streams: ReplyStreams,
    private readonly consents: ConsentService,
  ) {}

  /**
   * The conversation's events after `afterSeq` (default: from the start of its latest reply)
   * up to the reply's final state: a terminal `done`, or `done {status: awaiting_consent}`
   * while that decision is pending. Past a decided pause it goes on with the continuation.
   */
  async *replay(conversationId: string, userId: string, afterSeq?: number, signal?: AbortSignal): AsyncGenerator<ReplyEvent> {
    await this.owned(conversationId, userId);
    let cursor = afterSeq ?? (await this.latestReplyStart(conversationId, userId));
    while (!signal?.aborted) {
      let pause: DoneEvent | undefined;
      for await (const event of this.untilDone(conversationId, userId, cursor, signal)) {
        yield event;
        cursor = event.id;
        pause = isConsentPause(event) ? event : undefined;
      }
      if (!pause || !(await this.continues(conversationId, userId, pause, signal))) return;
    }
  }

  /** Events after `afterSeq` up to the next `done` (or until nothing more is being written). */
  private async *untilDone(conversationId: string, userId: string, afterSeq: number, signal?: AbortSignal): AsyncGenerator<ReplyEvent> {
    let cursor = afterSeq;
    while (!signal?.aborted) {
      const live = this.streams.get(conversationId);
      const stored = await this.events.after(conversationId, cursor);
      for (const event of stored) {
        if (live && event.id >= live.firstSeq) break;
        yield event;
        cursor = event.id;
        if (isDone(event)) return;
      }
      if (live) {
        yield* followLive(live, cursor, signal);
        return;
      }
      const conversation = await this.owned(conversationId, userId);
      const beating = conversation.replyHeartbeatAt && Date.now() - conversation.replyHeartbeatAt.getTime() < REPLY_STALE_SECONDS * 1000;
      if (!conversation.activeReplyId || !beating) {
        if (stored.length === 0) return;
        continue;
      }
      await sleep(REPLAY_POLL_MS, signal);
    }
  }

  /**
   * After a consent pause: true once the continuation of the same message has started (here,
   * on another instance, or already stored), false while the decision is pending.
   */
  private async continues(conversationId: string, userId: string, pause: DoneEvent, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + RESUME_WAIT_MS;
    while (!signal?.aborted && Date.now() < deadline) {
      // Read before looking for the continuation: a decision taken in between then shows as events.
      const pending = await this.consents.findPending(conversationId, userId);
      const live = this.streams.get(conversationId);
      if (live && live.messageId === pause.messageId && live.firstSeq > pause.id) return true;
      const [next] = await this.events.after(conversationId, pause.id, 1);
      if (next) return next.messageId === pause.messageId;
      if (pending) return false;
      const message = await this.messages.findOwned(pause.messageId, userId);
      // `streaming` again: the continuation claimed the conversation and its events are on the way.
      if (message?.status === 'streaming') return true;
      if (message?.status !== 'awaiting_consent') return false;
      await sleep(REPLAY_POLL_MS, signal);
    }
    return false;
  }

  private async owned(conversationId: string, userId: string): Promise<Conversation> {
    const conversation = await this.conversations.findOwned(conversationId, userId);
    if (!conversation) throw AppException.notFound('Conversation');
    return conversation;
  }

  /** Just before the first event of the latest assistant message (a continuation's message started before its pause). */
  private async latestReplyStart(conversationId: string, userId: string): Promise<number> {
    const latest = await this.messages.latestAssistant(conversationId, userId);
    if (!latest) return Number.MAX_SAFE_INTEGER;
    const first = await this.events.firstOf(conversationId, latest.id);
    if (first !== null) return first - 1;
    // Nothing flushed yet: the reply started moments ago, here or elsewhere.
    const live = this.streams.get(conversationId);
    return live?.messageId === latest.id ? live.firstSeq - 1 : Number.MAX_SAFE_INTEGER;
  }
}

/** A live reply's events after `afterSeq` as an async stream, ending at its `done` (or when it finishes). */
export async function* followLive(live: LiveReply, afterSeq: number, signal?: AbortSignal): AsyncGenerator<ReplyEvent> {
  const queue: ReplyEvent[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = live.subscribe(afterSeq, (event) => {
    queue.push(event);
    wake?.();
  });
  const onWake = () => wake?.();
  signal?.addEventListener('abort', onWake);
  void live.finished.then(onWake);
  try {
    while (!signal?.aborted) {
      const event = queue.shift();
      if (event) {
        yield event;
        if (isDone(event)) return;
        continue;
      }
      if (live.isFinished) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onWake);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
