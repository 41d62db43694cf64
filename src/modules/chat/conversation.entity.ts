import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { User } from '../users/user.entity';

@Entity('conversations')
@Index('conversations_user_id_idx', { synchronize: false })
export class Conversation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'conversations_user_id_fkey' })
  user?: User;

  @Column({ length: 200 })
  title: string;

  /** `provider:model` for this conversation's replies; null: the default model. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  model: string | null;

  /** Last event id used in this conversation (SSE ids increase per conversation). */
  @Column({ type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  eventSeq: number;

  /** The assistant message being generated, if any: one reply at a time. */
  @Column({ type: 'uuid', nullable: true })
  activeReplyId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  replyHeartbeatAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  cancelRequestedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastMessageAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
