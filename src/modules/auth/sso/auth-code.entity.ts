import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../users/user.entity';

/** A one-time code the app exchanges for tokens after a browser sign-in (single use, 60 s). */
@Entity('auth_codes')
@Index('auth_codes_code_hash_key', ['codeHash'], { unique: true })
@Index('auth_codes_user_id_idx', ['userId'])
@Index('auth_codes_expires_at_idx', ['expiresAt'])
export class AuthCode {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** SHA-256 of the code; the code itself is never stored. */
  @Column({ type: 'char', length: 64 })
  codeHash: string;

  @Column('uuid')
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'auth_codes_user_id_fkey' })
  user?: User;

  /** The sign-in's binding cookie (hashed): the code is redeemable only by that browser. */
  @Column({ type: 'char', length: 64 })
  bindingHash: string;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
