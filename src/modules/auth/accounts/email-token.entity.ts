import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../users/user.entity';

export type EmailTokenPurpose = 'verify_email' | 'reset_password';

/** A single-use token sent by mail (email verification, password reset). */
@Entity('email_tokens')
@Check('email_tokens_purpose_check', `purpose IN ('verify_email', 'reset_password')`)
@Index('email_tokens_token_hash_key', ['tokenHash'], { unique: true })
@Index('email_tokens_user_id_idx', ['userId', 'purpose'])
export class EmailToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'email_tokens_user_id_fkey' })
  user?: User;

  @Column({ type: 'varchar', length: 32 })
  purpose: EmailTokenPurpose;

  /** SHA-256 of the token; the token itself is only in the mail. */
  @Column({ type: 'char', length: 64 })
  tokenHash: string;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
