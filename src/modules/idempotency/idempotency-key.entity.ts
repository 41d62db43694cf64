import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * `processing`: the first request is running; `completed`: its response is stored for replay;
 * `streaming`: it started a streamed reply, which a replay re-attaches to (`response_body` holds
 * the reply's reference, not a body).
 */
export type IdempotencyState = 'processing' | 'streaming' | 'completed';

@Entity('idempotency_keys')
export class IdempotencyKey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  userId!: string;

  /** `POST /api/v1/chat/message`: keys are per user, method and route. */
  @Column('varchar', { length: 300 })
  scope!: string;

  @Column('varchar', { length: 255 })
  key!: string;

  /** sha256 of the request body (canonical JSON) or of a route's own fingerprint. */
  @Column('char', { length: 64 })
  requestHash!: string;

  @Column('varchar', { length: 16 })
  state!: IdempotencyState;

  @Column('smallint', { nullable: true })
  responseStatus!: number | null;

  @Column('jsonb', { nullable: true })
  responseBody!: unknown;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column('timestamptz')
  expiresAt!: Date;
}
