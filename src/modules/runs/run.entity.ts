import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { TokenUsage } from '../agent/agent.types';
import { Session } from '../sessions/session.entity';
import type { TeamSnapshot } from '../teams/team.entity';

export const RUN_STATUSES = ['queued', 'running', 'awaiting_consent', 'completed', 'failed', 'cancelled', 'timed_out'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: RunStatus[] = ['completed', 'failed', 'cancelled', 'timed_out'];

export interface RunProgress {
  current_step: string;
  completion_percentage: number;
  steps_completed: number;
  total_steps: number;
  estimated_time_remaining: number | null;
}

export interface TeamResult {
  summary: string;
  key_findings: string[];
  deliverables: string[];
}

/**
 * Where the orchestration is, so another worker can continue after a crash or a consent pause:
 * the outputs of finished turns, and the checkpoint thread of the turn in progress.
 */
export interface RunState {
  turns?: Array<{ agent: string; output: string }>;
  thread?: { id: string; agent: string; turn: number } | null;
  /** Supervisor runs: the member calls so far (inside one supervisor agent thread). */
  done?: boolean;
}

@Entity('runs')
@Index('runs_user_id_idx', { synchronize: false })
@Index('runs_session_id_idx', { synchronize: false })
export class Run {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  sessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'runs_session_id_fkey' })
  session?: Session;

  @Column('uuid')
  userId: string;

  @Column({ type: 'uuid', nullable: true })
  teamId: string | null;

  @Column({ type: 'jsonb' })
  team: TeamSnapshot;

  @Column('text')
  task: string;

  @Column({ type: 'varchar', length: 20, default: 'queued' })
  status: RunStatus;

  @Column({ type: 'jsonb' })
  progress: RunProgress;

  @Column({ type: 'jsonb', default: {} })
  state: RunState;

  @Column({ type: 'jsonb', nullable: true })
  teamResult: TeamResult | null;

  @Column({ type: 'jsonb' })
  usage: TokenUsage;

  @Column({ type: 'varchar', length: 200, nullable: true })
  modelUsed: string | null;

  @Column({ type: 'jsonb', nullable: true })
  error: { code: string; message: string } | null;

  @Column({ type: 'jsonb', default: {} })
  metadata: Record<string, unknown>;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'integer', default: 0 })
  eventSeq: number;

  @Column({ type: 'uuid', nullable: true })
  jobId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  heartbeatAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
