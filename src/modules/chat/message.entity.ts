import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { StoredToolCall, StoredToolResult, TokenUsage } from '../agent/agent.types';
import { Conversation } from './conversation.entity';

export type MessageRole = 'user' | 'assistant';
export type MessageStatus = 'streaming' | 'complete' | 'interrupted' | 'awaiting_consent' | 'error';

@Entity('messages')
@Check('messages_role_check', `role IN ('user', 'assistant')`)
@Check('messages_status_check', `status IN ('streaming', 'complete', 'interrupted', 'awaiting_consent', 'error')`)
@Index('messages_conversation_idx', { synchronize: false })
@Index('messages_user_id_idx', { synchronize: false })
@Index('messages_search_idx', { synchronize: false })
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  conversationId: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id', foreignKeyConstraintName: 'messages_conversation_id_fkey' })
  conversation?: Conversation;

  @Column('uuid')
  userId: string;

  @Column({ type: 'varchar', length: 16 })
  role: MessageRole;

  @Column({ type: 'text', default: '' })
  content: string;

  @Column({ type: 'jsonb', default: [] })
  toolCalls: StoredToolCall[];

  @Column({ type: 'jsonb', default: [] })
  results: StoredToolResult[];

  @Column({ type: 'varchar', length: 24 })
  status: MessageStatus;

  @Column({ type: 'jsonb', nullable: true })
  usage: TokenUsage | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  model: string | null;

  @Column({ type: 'jsonb', nullable: true })
  error: { code: string; message: string } | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
