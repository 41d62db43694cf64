import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('files')
@Index('files_user_id_idx', { synchronize: false })
export class StoredFile {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  userId: string;

  @Column({ type: 'uuid', nullable: true })
  conversationId: string | null;

  /** Sanitized: no directories, no control characters. */
  @Column({ length: 255 })
  filename: string;

  /** As sniffed from the bytes, never the client's claim. */
  @Column({ length: 127 })
  contentType: string;

  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  size: number;

  @Column({ type: 'char', length: 64 })
  sha256: string;

  @Column({ length: 512 })
  storageKey: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
