import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity';

/** One sign-in: its refresh tokens rotate within it; revoking it ends them and its access tokens. */
@Entity('refresh_families')
@Index('refresh_families_user_id_idx', ['userId'])
export class RefreshFamily {
  /** The `sid` claim of the access tokens issued in this sign-in. */
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid')
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'refresh_families_user_id_fkey' })
  user?: User;

  /** Absolute end (SSO sign-ins, SSO_REFRESH_TTL); null: each rotation extends the sign-in. */
  @Column({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
