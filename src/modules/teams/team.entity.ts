import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const ORCHESTRATION_TYPES = ['sequential', 'round_robin', 'supervisor'] as const;
export type OrchestrationType = (typeof ORCHESTRATION_TYPES)[number];

/** Stored snake_case: it is the API's shape and is snapshotted into runs as is. */
export interface TeamAgent {
  name: string;
  role: string;
  /** `provider:model`; null: the server's default model. */
  model: string | null;
  system_prompt: string;
  capabilities: string[];
  tools: string[];
}

export interface Orchestration {
  type: OrchestrationType;
  max_iterations: number;
  timeout_minutes: number;
}

/** The team a run was started with, copied into the run so later edits do not change it. */
export interface TeamSnapshot {
  id: string | null;
  slug: string;
  name: string;
  agents: TeamAgent[];
  orchestration: Orchestration;
}

/** A team configuration. `userId` null: built in (shipped by a migration, read-only). */
@Entity('teams')
export class Team {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ length: 100 })
  slug: string;

  @Column({ length: 200 })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'jsonb' })
  agents: TeamAgent[];

  @Column({ type: 'jsonb' })
  orchestration: Orchestration;

  @Column({ type: 'jsonb', default: {} })
  defaultConfig: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
