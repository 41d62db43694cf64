import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Conversation } from '../chat/conversation.entity';
import { User } from '../users/user.entity';

export type ConsentStatus = 'pending' | 'approved' | 'rejected' | 'partial' | 'expired';

/** One tool call the agent wants to make, as shown to the person deciding. */
export interface ConsentAction {
  tool: string;
  arguments: Record<string, unknown>;
  description: string;
  allowed_decisions: Array<'approve' | 'edit' | 'reject'>;
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
export class ConsentRequest {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'consent_requests_user_id_fkey' })
  user?: User;

  /** The paused chat reply's conversation and message; null when a run is paused. */
  @Column({ type: 'uuid', nullable: true })
  conversationId: string | null;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id', foreignKeyConstraintName: 'consent_requests_conversation_id_fkey' })
  conversation?: Conversation;

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

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
