import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ConsentRequest } from './consent-request.entity';

/** Single-use permission for one approved action: the gated tool consumes it before acting. */
@Entity('consent_tokens')
@Index('consent_tokens_action_idx', { synchronize: false })
export class ConsentToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  consentRequestId: string;

  @ManyToOne(() => ConsentRequest, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'consent_request_id', foreignKeyConstraintName: 'consent_tokens_consent_request_id_fkey' })
  consentRequest?: ConsentRequest;

  @Column('uuid')
  userId: string;

  @Column('uuid')
  conversationId: string;

  @Column({ type: 'char', length: 64, unique: true })
  tokenHash: string;

  /** SHA-256 of the tool name and its final arguments (canonical JSON). */
  @Column({ type: 'char', length: 64 })
  actionHash: string;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
