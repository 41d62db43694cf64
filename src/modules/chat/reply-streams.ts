import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { ReplyEvent, ReplyEventType } from './reply-event';

type Listener = (event: ReplyEvent) => void;

/** The in-memory event log of one reply being generated on this instance. */
export class LiveReply {
  readonly events: ReplyEvent[] = [];
  readonly abort = new AbortController();
  /** Events not yet written to message_events. */
  unflushed: ReplyEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private finishedResolve!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.finishedResolve = resolve));
  isFinished = false;

  constructor(
    readonly userId: string,
    readonly conversationId: string,
    readonly messageId: string,
    private seq: number,
    private readonly published: Subject<{ userId: string; conversationId: string; event: ReplyEvent }>,
  ) {}

  get firstSeq(): number {
    return this.events[0]?.id ?? this.seq + 1;
  }

  get lastSeq(): number {
    return this.seq;
  }

  emit(type: ReplyEventType, data: Record<string, unknown>): ReplyEvent {
    const event: ReplyEvent = { id: ++this.seq, messageId: this.messageId, type, data };
    this.events.push(event);
    this.unflushed.push(event);
    for (const listener of this.listeners) listener(event);
    this.published.next({ userId: this.userId, conversationId: this.conversationId, event });
    return event;
  }

  /** Replays this reply's events after `afterSeq`, then follows live ones. */
  subscribe(afterSeq: number, listener: Listener): () => void {
    for (const event of this.events) if (event.id > afterSeq) listener(event);
    if (this.isFinished) return () => undefined;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  finish(): void {
    this.isFinished = true;
    this.listeners.clear();
    this.finishedResolve();
  }
}

/**
 * Replies generating on this instance, by conversation. SSE responses, re-attaches and (with
 * the realtime module) socket rooms subscribe here; `published` carries every event for
 * fan-out to other transports.
 */
@Injectable()
export class ReplyStreams {
  readonly published = new Subject<{ userId: string; conversationId: string; event: ReplyEvent }>();
  private readonly live = new Map<string, LiveReply>();

  open(userId: string, conversationId: string, messageId: string, lastSeq: number): LiveReply {
    const reply = new LiveReply(userId, conversationId, messageId, lastSeq, this.published);
    this.live.set(conversationId, reply);
    return reply;
  }

  get(conversationId: string): LiveReply | undefined {
    return this.live.get(conversationId);
  }

  all(): LiveReply[] {
    return [...this.live.values()];
  }

  close(reply: LiveReply): void {
    if (this.live.get(reply.conversationId) === reply) this.live.delete(reply.conversationId);
    reply.finish();
  }
}
