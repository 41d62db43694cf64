import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const NOTIFICATION_KINDS = ['consent_request', 'consent_reminder', 'consent_expired', 'run_completed'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export type NotificationChannel = 'email' | 'slack' | 'webhook';
/** `skipped`: nothing to say any more (a reminder for a decided request). */
export type DeliveryStatus = 'queued' | 'retrying' | 'sent' | 'failed' | 'skipped';

/** One notification through one channel: what was tried, how often, and how it ended. */
@Entity('notification_deliveries')
@Index('notification_deliveries_user_id_idx', { synchronize: false })
export class NotificationDelivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  userId: string;

  @Column({ type: 'varchar', length: 32 })
  kind: NotificationKind;

  @Column({ type: 'varchar', length: 16 })
  channel: NotificationChannel;

  /** The consent request or run it is about. */
  @Column('uuid')
  subjectId: string;

  @Column({ type: 'varchar', length: 16, default: 'queued' })
  status: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** Why the last attempt failed (never a secret: a status code or an error name). */
  @Column({ type: 'text', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
