import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import { RunsRepository, StoredRunEvent } from './runs.repository';

/**
 * Followers of a run's events: they read run_events from PostgreSQL (so any instance can
 * serve any run, and Last-Event-ID replays exactly what was missed), woken at once when this
 * instance wrote new events and by a short poll otherwise.
 */
@Injectable()
export class RunEvents {
  /** Run ids whose events were just written on this instance. */
  readonly flushed = new Subject<string>();

  constructor(private readonly runs: RunsRepository) {}

  async append(runId: string, type: string, data: Record<string, unknown>): Promise<void> {
    await this.runs.appendEvents(runId, [{ type, data: { run_id: runId, ...data } }]);
    this.flushed.next(runId);
  }

  /** Events after `afterSeq`, ending with `run_completed` (or when `signal` aborts). */
  async *follow(runId: string, afterSeq: number, pollMs: number, signal: AbortSignal): AsyncGenerator<StoredRunEvent> {
    let cursor = afterSeq;
    let idle = 0;
    while (!signal.aborted) {
      const events = await this.runs.eventsAfter(runId, cursor);
      for (const event of events) {
        yield event;
        cursor = event.seq;
        if (event.type === 'run_completed') return;
      }
      if (events.length) {
        idle = 0;
        continue;
      }
      // A run deleted under us (its session deleted) has no more events to give.
      if (++idle % 20 === 0 && !(await this.runs.findById(runId))) return;
      await this.wake(runId, pollMs, signal);
    }
  }

  private wake(runId: string, pollMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        subscription.unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      const subscription = this.flushed.subscribe((id) => id === runId && done());
      signal.addEventListener('abort', done);
    });
  }
}
