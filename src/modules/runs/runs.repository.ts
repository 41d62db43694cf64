import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, MoreThanOrEqual, Repository } from 'typeorm';
import { returnedRows } from '../../database/pg-errors';
import type { TokenUsage } from '../agent/agent.types';
import { RUN_QUEUE } from './run-queue';
import { RunMessage, RunMessageType } from './run-message.entity';
import type { TeamSnapshot } from '../teams/team.entity';
import { Run, RunProgress, RunState, RunStatus, TeamResult } from './run.entity';

export interface StoredRunEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

const ACTIVE: RunStatus[] = ['queued', 'running', 'awaiting_consent'];

@Injectable()
export class RunsRepository {
  constructor(
    @InjectRepository(Run) private readonly runs: Repository<Run>,
    @InjectRepository(RunMessage) private readonly messages: Repository<RunMessage>,
  ) {}

  get manager(): EntityManager {
    return this.runs.manager;
  }

  insert(manager: EntityManager, data: { sessionId: string; userId: string; team: TeamSnapshot; task: string; metadata: Record<string, unknown>; progress: RunProgress }): Promise<Run> {
    const repo = manager.getRepository(Run);
    return repo.save(repo.create({ ...data, teamId: data.team.id, status: 'queued' }));
  }

  async setJob(manager: EntityManager, id: string, jobId: string): Promise<void> {
    await manager.getRepository(Run).update({ id }, { jobId });
  }

  findOwned(id: string, userId: string): Promise<Run | null> {
    return this.runs.findOneBy({ id, userId });
  }

  findById(id: string): Promise<Run | null> {
    return this.runs.findOneBy({ id });
  }

  list(userId: string, query: { sessionId?: string; status?: RunStatus; limit: number; offset: number }): Promise<[Run[], number]> {
    const where: Record<string, unknown> = { userId };
    if (query.sessionId) where.sessionId = query.sessionId;
    if (query.status) where.status = query.status;
    return this.runs.findAndCount({ where, order: { createdAt: 'DESC', id: 'ASC' }, take: query.limit, skip: query.offset });
  }

  countSince(userId: string, since: Date): Promise<number> {
    return this.runs.createQueryBuilder('r').where('r.user_id = :userId AND r.created_at >= :since', { userId, since }).getCount();
  }

  /** The user's runs still going, or created since `since` (which may already have ended). */
  liveOf(userId: string, since: Date): Promise<Array<Pick<Run, 'id' | 'eventSeq' | 'createdAt'>>> {
    return this.runs.find({ select: { id: true, eventSeq: true, createdAt: true }, where: [{ userId, status: In(ACTIVE) }, { userId, createdAt: MoreThanOrEqual(since) }] });
  }

  /** Unfinished runs of every user by status (each status present, 0 when none): the runs_active metric. */
  async countUnfinished(): Promise<Record<string, number>> {
    const rows: Array<{ status: RunStatus; n: number }> = await this.runs.query(
      `SELECT status, count(*)::int AS n FROM runs WHERE status IN ('queued', 'running', 'awaiting_consent') GROUP BY status`,
    );
    const counts: Record<string, number> = Object.fromEntries(ACTIVE.map((status) => [status, 0]));
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  activeInSession(sessionId: string, userId: string): Promise<Run[]> {
    return this.runs.findBy({ sessionId, userId, status: In(ACTIVE) });
  }

  messagesOf(runId: string, userId: string): Promise<RunMessage[]> {
    return this.messages.find({ where: { runId, userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async addMessage(data: { runId: string; userId: string; agent: string; type: RunMessageType; content: string }): Promise<RunMessage> {
    return this.messages.save(this.messages.create(data));
  }

  /**
   * Takes a run for a worker: queued (first attempt) or running (a retry after its worker died),
   * and only while no other run of its session is running or waiting for consent.
   */
  async claim(id: string, jobId: string): Promise<Run | null> {
    const rows = await this.runs.query(
      `UPDATE runs r SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), heartbeat_at = now(), job_id = $2, updated_at = now()
       WHERE r.id = $1 AND r.status IN ('queued', 'running')
         AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.session_id = r.session_id AND o.id <> r.id AND o.status IN ('running', 'awaiting_consent'))
       RETURNING r.id`,
      [id, jobId],
    );
    return returnedRows<{ id: string }>(rows).length ? this.findById(id) : null;
  }

  /** Saves progress and state, beats, and tells whether the run is still this worker's to run. */
  async beat(id: string, patch: { progress?: RunProgress; state?: RunState; usage?: TokenUsage; modelUsed?: string }): Promise<RunStatus | null> {
    const rows = await this.runs.query(
      `UPDATE runs SET heartbeat_at = now(), updated_at = now(),
         progress = coalesce($2::jsonb, progress), state = coalesce($3::jsonb, state), usage = coalesce($4::jsonb, usage), model_used = coalesce($5, model_used)
       WHERE id = $1 RETURNING status`,
      [id, json(patch.progress), json(patch.state), json(patch.usage), patch.modelUsed ?? null],
    );
    return returnedRows<{ status: RunStatus }>(rows)[0]?.status ?? null;
  }

  /** The one way a run ends: only from `from`, so a cancel that won first is never overwritten. */
  async finish(
    id: string,
    from: RunStatus[],
    data: { status: RunStatus; teamResult?: TeamResult | null; error?: { code: string; message: string } | null; progress?: RunProgress; usage?: TokenUsage },
  ): Promise<Run | null> {
    const rows = await this.runs.query(
      `UPDATE runs SET status = $3, team_result = coalesce($4::jsonb, team_result), error = $5::jsonb, progress = coalesce($6::jsonb, progress),
         usage = coalesce($7::jsonb, usage), completed_at = now(), updated_at = now()
       WHERE id = $1 AND status = ANY($2) RETURNING id`,
      [id, from, data.status, json(data.teamResult), json(data.error ?? null), json(data.progress), json(data.usage)],
    );
    return returnedRows<{ id: string }>(rows).length ? this.findById(id) : null;
  }

  async setStatus(id: string, from: RunStatus[], status: RunStatus, manager: EntityManager = this.runs.manager): Promise<boolean> {
    const rows = await manager.query(`UPDATE runs SET status = $3, updated_at = now() WHERE id = $1 AND status = ANY($2) RETURNING id`, [id, from, status]);
    return returnedRows(rows).length > 0;
  }

  /**
   * Puts a running run back to `queued` (its worker is shutting down), saving its latest state
   * (a flush skips that once the run is aborted); false when it is no longer running.
   */
  async requeue(manager: EntityManager, id: string, patch: { progress: RunProgress; state: RunState; usage: TokenUsage; modelUsed?: string }): Promise<boolean> {
    const rows = await manager.query(
      `UPDATE runs SET status = 'queued', updated_at = now(), progress = $2::jsonb, state = $3::jsonb, usage = $4::jsonb, model_used = coalesce($5, model_used)
       WHERE id = $1 AND status = 'running' RETURNING id`,
      [id, json(patch.progress), json(patch.state), json(patch.usage), patch.modelUsed ?? null],
    );
    return returnedRows(rows).length > 0;
  }

  /**
   * Runs left `running` by a worker that stopped beating and whose job pg-boss will not run
   * again (its retries are spent): nothing else would ever end them.
   */
  async failAbandoned(staleSeconds: number, jobTable: string): Promise<Run[]> {
    const rows = await this.runs.query(
      `UPDATE runs r SET status = 'failed', completed_at = now(), updated_at = now(),
         error = '{"code":"WORKER_LOST","message":"The worker running this run stopped and its retries are spent"}'::jsonb
       WHERE r.status = 'running' AND r.heartbeat_at < now() - make_interval(secs => $1)
         AND NOT EXISTS (SELECT 1 FROM ${jobTable} j WHERE j.name = $2 AND j.id = r.job_id AND j.state IN ('created', 'retry', 'active'))
       RETURNING r.id`,
      [staleSeconds, RUN_QUEUE],
    );
    const ids = returnedRows<{ id: string }>(rows).map((row) => row.id);
    return ids.length ? this.runs.findBy({ id: In(ids) }) : [];
  }

  /** Appends events with the run's next ids (allocated on the row, so any instance may append). */
  async appendEvents(runId: string, events: Array<{ type: string; data: Record<string, unknown> }>): Promise<void> {
    if (!events.length) return;
    await this.runs.query(
      `WITH s AS (UPDATE runs SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq - $2 AS base)
       INSERT INTO run_events (run_id, seq, type, data)
       SELECT $1, s.base + e.ord, e.ev->>'type', e.ev->'data' FROM s, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(ev, ord)`,
      [runId, events.length, JSON.stringify(events)],
    );
  }

  eventsAfter(runId: string, afterSeq: number, limit = 500): Promise<StoredRunEvent[]> {
    return this.runs.query(`SELECT seq, type, data FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [runId, afterSeq, limit]);
  }

  /** Checkpoint threads of a run are named `<run id>` or `<run id>:<turn>`. */
  async deleteCheckpoints(runIds: string[]): Promise<void> {
    if (!runIds.length) return;
    const patterns = runIds.map((id) => `${id}%`);
    for (const table of ['checkpoint_writes', 'checkpoint_blobs', 'checkpoints']) {
      await this.runs.query(`DELETE FROM langgraph.${table} WHERE thread_id LIKE ANY($1)`, [patterns]);
    }
  }

  idsInSession(sessionId: string, userId: string): Promise<Array<{ id: string }>> {
    return this.runs.find({ select: { id: true }, where: { sessionId, userId } });
  }
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}
