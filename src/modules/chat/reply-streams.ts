import { Injectable } from '@nestjs/common';
import type { ReplyEvent, ReplyEventData, ReplyEventType } from './reply-event';

type Listener = (event: ReplyEvent) => void;
/** Hears every event of every reply generated on this instance (the socket transports). */
export type ReplyObserver = (reply: LiveReply, event: ReplyEvent) => void;

/**
 * The in-memory event log of one reply being generated on this instance. Its listeners are the
 * one way to hear a reply live: SSE responses, re-attaches and (through ReplyStreams.observe)
 * the sockets all subscribe here.
 */
export class LiveReply {
  readonly events: ReplyEvent[] = [];
  readonly abort = new AbortController();
  /** Events not yet stored (message_event_batches). */
  unflushed: ReplyEvent[] = [];
  private readonly listeners = new Set<Listener>();
  /** The last event listeners have heard (an appended one may not be published yet). */
  private heardSeq: number;
  private finishedResolve!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.finishedResolve = resolve));
  isFinished = false;

  constructor(
    readonly userId: string,
    readonly conversationId: string,
    readonly messageId: string,
    private seq: number,
  ) {
    this.heardSeq = seq;
  }

  get firstSeq(): number {
    return this.events[0]?.id ?? this.seq + 1;
  }

  get lastSeq(): number {
    return this.seq;
  }

  get lastPublishedSeq(): number {
    return this.heardSeq;
  }

  emit<K extends ReplyEventType>(type: K, data: ReplyEventData[K]): ReplyEvent {
    return this.publish(this.append(type, data));
  }

  /** Adds an event to the log (and to what is flushed) without telling anyone yet. */
  append<K extends ReplyEventType>(type: K, data: ReplyEventData[K]): ReplyEvent {
    // TypeScript cannot tie `type` to `data` through a generic; the signature does.
    const event = { id: ++this.seq, messageId: this.messageId, type, data } as ReplyEvent;
    this.events.push(event);
    this.unflushed.push(event);
    return event;
  }

  /** Tells the listeners about an appended event. */
  publish(event: ReplyEvent): ReplyEvent {
    this.heardSeq = event.id;
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Replays this reply's events after `afterSeq`, then follows live ones until it finishes. */
  subscribe(afterSeq: number, listener: Listener): () => void {
    for (const event of this.events) if (event.id > afterSeq && event.id <= this.heardSeq) listener(event);
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

/** Replies generating on this instance, by conversation. */
@Injectable()
export class ReplyStreams {
  private readonly live = new Map<string, LiveReply>();
  private readonly observers = new Set<ReplyObserver>();

  open(userId: string, conversationId: string, messageId: string, lastSeq: number): LiveReply {
    const reply = new LiveReply(userId, conversationId, messageId, lastSeq);
    this.live.set(conversationId, reply);
    for (const observer of this.observers) this.attach(reply, observer);
    return reply;
  }

  /** Subscribes `observer` to every reply, those running now and those opened later. */
  observe(observer: ReplyObserver): () => void {
    this.observers.add(observer);
    const detach = [...this.live.values()].map((reply) => this.attach(reply, observer, reply.lastPublishedSeq));
    return () => {
      this.observers.delete(observer);
      for (const stop of detach) stop();
    };
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

  private attach(reply: LiveReply, observer: ReplyObserver, afterSeq = reply.lastPublishedSeq): () => void {
    return reply.subscribe(afterSeq, (event) => {
      if (this.observers.has(observer)) observer(reply, event);
    });
  }
}
