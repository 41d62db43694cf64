import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ConsentRequest } from './consent-request.entity';

/**
 * Single-use permission for one approved tool call: the gated tool redeems the plain token
 * before acting. Stored as its hash (to redeem) and sealed with SecretBox (so whichever
 * instance resumes can hand it to the tool); never in plain.
 */
@Entity('consent_tokens')
@Index('consent_tokens_request_idx', { synchronize: false })
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

  /** SHA-256 of the request id, tool call id, tool name and final arguments (canonical JSON). */
  @Column({ type: 'char', length: 64 })
  actionHash: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  toolCallId: string | null;

  /** The plain token sealed under ENCRYPTION_KEY, bound to this request and tool call. */
  @Column({ type: 'text', nullable: true })
  tokenSealed: string | null;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
