import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity';

export type ConsentStatus = 'pending' | 'approved' | 'rejected' | 'partial' | 'expired';

/** One tool call the agent wants to make, as shown to the person deciding. */
export interface ConsentAction {
  tool: string;
  arguments: Record<string, unknown>;
  description: string;
  allowed_decisions: Array<'approve' | 'edit' | 'reject'>;
  /** The model's id for this tool call: the consent token is bound to it. */
  tool_call_id?: string | null;
}

export interface ConsentDecision {
  type: 'approve' | 'edit' | 'reject';
  tool: string;
  /** The arguments the tool runs with (edited or as proposed); absent when rejected. */
  arguments?: Record<string, unknown>;
  reason?: string;
}

@Entity('consent_requests')
@Check('consent_requests_status_check', `status IN ('pending', 'approved', 'rejected', 'partial', 'expired')`)
@Index('consent_requests_user_id_idx', { synchronize: false })
@Index('consent_requests_pending_idx', { synchronize: false })
@Index('consent_requests_unresumed_idx', { synchronize: false })
export class ConsentRequest {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'consent_requests_user_id_fkey' })
  user?: User;

  /**
   * The paused chat reply's conversation and message; null when a run is paused. The foreign
   * key (ON DELETE CASCADE) is in the migrations: no entity relation, so Consent imports nothing of Chat.
   */
  @Column({ type: 'uuid', nullable: true })
  conversationId: string | null;

  @Column({ type: 'uuid', nullable: true })
  messageId: string | null;

  /** The paused run (Runs), else null. */
  @Column({ type: 'uuid', nullable: true })
  runId: string | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: ConsentStatus;

  @Column({ type: 'jsonb' })
  actions: ConsentAction[];

  @Column({ type: 'jsonb', nullable: true })
  decisions: ConsentDecision[] | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'uuid', nullable: true })
  decidedBy: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  /** Set once the resumer started the continuation; a decided request without it is swept. */
  @Column({ type: 'timestamptz', nullable: true })
  resumedAt: Date | null;

  /** When a sweep last took over a lost resume (another sweep waits a grace period). */
  @Column({ type: 'timestamptz', nullable: true })
  resumeClaimedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
