import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { testDatabaseUrl } from '../helpers/app';

/** A connection pool on the run's migrated test database (test/global-setup.ts), no app around it. */
export async function openDatabase(): Promise<DataSource> {
  Logger.overrideLogger(['error']);
  return new DataSource(dataSourceOptions(testDatabaseUrl(), 12)).initialize();
}

export async function insertUser(db: DataSource): Promise<string> {
  const name = `int-${randomUUID().slice(0, 12)}`;
  const [row] = await db.query(`INSERT INTO users (email, username) VALUES ($1, $2) RETURNING id`, [`${name}@example.com`, name]);
  return row.id as string;
}

export async function insertConversation(db: DataSource, userId: string): Promise<string> {
  const [row] = await db.query(`INSERT INTO conversations (user_id, title) VALUES ($1, 'integration') RETURNING id`, [userId]);
  return row.id as string;
}

export async function insertMessage(db: DataSource, conversationId: string, userId: string, status = 'streaming'): Promise<string> {
  const [row] = await db.query(
    `INSERT INTO messages (conversation_id, user_id, role, status) VALUES ($1, $2, 'assistant', $3) RETURNING id`,
    [conversationId, userId, status],
  );
  return row.id as string;
}
