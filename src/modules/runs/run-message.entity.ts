import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type RunMessageType = 'status' | 'message' | 'tool_call' | 'tool_result' | 'error';

/** One agent message of a run (seed 003's `messages[]`). */
@Entity('run_messages')
export class RunMessage {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  runId: string;

  @Column('uuid')
  userId: string;

  @Column({ length: 100 })
  agent: string;

  @Column({ type: 'varchar', length: 16 })
  type: RunMessageType;

  @Column('text')
  content: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
