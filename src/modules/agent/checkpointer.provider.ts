import type { Provider } from '@nestjs/common';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ADVISORY_LOCKS, withAdvisoryLock } from '../../database/migrate';

export const CHECKPOINTER = Symbol('CHECKPOINTER');
const CHECKPOINT_SCHEMA = 'langgraph';

/**
 * LangGraph's PostgreSQL checkpointer (thread = conversation), in its own schema, sharing
 * TypeORM's pool. Its tables are created once across instances, under an advisory lock.
 */
export const checkpointerProvider: Provider = {
  provide: CHECKPOINTER,
  inject: [DataSource],
  useFactory: async (dataSource: DataSource) => {
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    const saver = new PostgresSaver(pool, undefined, { schema: CHECKPOINT_SCHEMA });
    await withAdvisoryLock(dataSource, ADVISORY_LOCKS.checkpointer, async () => {
      await dataSource.query(`CREATE SCHEMA IF NOT EXISTS ${CHECKPOINT_SCHEMA}`);
      await saver.setup();
    });
    return saver;
  },
};
