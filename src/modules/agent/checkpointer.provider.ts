import type { Provider } from '@nestjs/common';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { Checkpoint, CheckpointMetadata } from '@langchain/langgraph';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ADVISORY_LOCKS, withAdvisoryLock } from '../../database/migrate';

export const CHECKPOINTER = Symbol('CHECKPOINTER');
const CHECKPOINT_SCHEMA = 'langgraph';
type ChannelVersions = Parameters<PostgresSaver['put']>[3];
type PendingWrite = Parameters<PostgresSaver['putWrites']>[1][number];
/** Same channels as the saver's WRITES_IDX_MAP: writes to them replace their slot. */
const SPECIAL_WRITE_CHANNELS = new Set(['__error__', '__scheduled__', '__interrupt__', '__resume__']);

/**
 * PostgresSaver whose writes are one statement each: the stock put() sends BEGIN, one INSERT
 * per channel blob, the checkpoint and COMMIT (8 round trips for a plain reply), putWrites()
 * one INSERT per write. Same tables, rows and conflict rules; a single statement is atomic.
 */
export class BatchedPostgresSaver extends PostgresSaver {
  private readonly tables: { blobs: string; checkpoints: string; writes: string };

  constructor(
    private readonly db: Pool,
    schema: string,
  ) {
    super(db, undefined, { schema });
    this.tables = { blobs: `"${schema}".checkpoint_blobs`, checkpoints: `"${schema}".checkpoints`, writes: `"${schema}".checkpoint_writes` };
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    if (config.configurable === undefined) throw new Error(`Missing "configurable" field in "config" param`);
    const { thread_id, checkpoint_ns = '', checkpoint_id } = config.configurable as { thread_id: string; checkpoint_ns?: string; checkpoint_id?: string };
    const [blobs, serializedMetadata] = await Promise.all([
      this._dumpBlobs(thread_id, checkpoint_ns, checkpoint.channel_values, newVersions),
      this._dumpMetadata(metadata),
    ]);
    await this.db.query(
      `WITH blobs AS (
         INSERT INTO ${this.tables.blobs} (thread_id, checkpoint_ns, channel, version, type, blob)
         SELECT $1, $2, b.channel, b.version, b.type, b.blob FROM unnest($7::text[], $8::text[], $9::text[], $10::bytea[]) AS b(channel, version, type, blob)
         ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING
       )
       INSERT INTO ${this.tables.checkpoints} (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata`,
      [
        thread_id,
        checkpoint_ns,
        checkpoint.id,
        checkpoint_id,
        this._dumpCheckpoint(checkpoint),
        serializedMetadata,
        blobs.map((blob) => blob[2]),
        blobs.map((blob) => blob[3]),
        blobs.map((blob) => blob[4]),
        blobs.map((blob) => (blob[5] ? Buffer.from(blob[5]) : null)),
      ],
    );
    return { configurable: { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id } };
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    if (writes.length === 0) return;
    const { thread_id, checkpoint_ns = '', checkpoint_id } = (config.configurable ?? {}) as { thread_id: string; checkpoint_ns?: string; checkpoint_id: string };
    // As the stock saver: writes to special channels replace their slot, others are kept once.
    const onConflict = writes.every(([channel]) => SPECIAL_WRITE_CHANNELS.has(channel))
      ? 'DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob'
      : 'DO NOTHING';
    const dumped = await this._dumpWrites(thread_id, checkpoint_ns, checkpoint_id, taskId, writes);
    await this.db.query(
      `INSERT INTO ${this.tables.writes} (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
       SELECT $1, $2, $3, $4, w.idx, w.channel, w.type, w.blob FROM unnest($5::int[], $6::text[], $7::text[], $8::bytea[]) AS w(idx, channel, type, blob)
       ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) ${onConflict}`,
      [
        thread_id,
        checkpoint_ns,
        checkpoint_id,
        taskId,
        dumped.map((write) => write[4]),
        dumped.map((write) => write[5]),
        dumped.map((write) => write[6]),
        dumped.map((write) => Buffer.from(write[7])),
      ],
    );
  }
}

/**
 * LangGraph's PostgreSQL checkpointer (thread = conversation), in its own schema, sharing
 * TypeORM's pool. Its tables are created once across instances, under an advisory lock.
 */
export const checkpointerProvider: Provider = {
  provide: CHECKPOINTER,
  inject: [DataSource],
  useFactory: async (dataSource: DataSource) => {
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    const saver = new BatchedPostgresSaver(pool, CHECKPOINT_SCHEMA);
    await withAdvisoryLock(dataSource, ADVISORY_LOCKS.checkpointer, async () => {
      await dataSource.query(`CREATE SCHEMA IF NOT EXISTS ${CHECKPOINT_SCHEMA}`);
      await saver.setup();
    });
    return saver;
  },
};
