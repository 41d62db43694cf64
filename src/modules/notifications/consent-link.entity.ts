import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type LinkDecision = 'approve' | 'reject';

/**
 * A single-use approve or reject link of one consent request, sent in a notification. Only the
 * SHA-256 of its token is kept; it expires with the request.
 */
@Entity('consent_links')
@Index('consent_links_token_hash_key', { synchronize: false })
@Index('consent_links_consent_request_id_idx', { synchronize: false })
export class ConsentLink {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  consentRequestId: string;

  /** The request's owner: the decision is taken in their name. */
  @Column('uuid')
  userId: string;

  @Column({ type: 'varchar', length: 8 })
  decision: LinkDecision;

  @Column({ type: 'char', length: 64 })
  tokenHash: string;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
