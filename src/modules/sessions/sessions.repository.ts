import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Session, SessionStatus } from './session.entity';

export interface SessionRunSummary {
  id: string;
  status: string;
  created_at: Date;
  completed_at: Date | null;
}

@Injectable()
export class SessionsRepository {
  constructor(@InjectRepository(Session) private readonly sessions: Repository<Session>) {}

  create(data: { userId: string; name: string; description: string | null; metadata: Record<string, unknown> }): Promise<Session> {
    return this.sessions.save(this.sessions.create(data));
  }

  findOwned(id: string, userId: string): Promise<Session | null> {
    return this.sessions.findOneBy({ id, userId });
  }

  countOwned(userId: string): Promise<number> {
    return this.sessions.countBy({ userId });
  }

  list(userId: string, query: { status?: SessionStatus; limit: number; offset: number }): Promise<[Session[], number]> {
    return this.sessions.findAndCount({
      where: query.status ? { userId, status: query.status } : { userId },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
  }

  async update(id: string, userId: string, patch: Partial<Pick<Session, 'name' | 'description' | 'status' | 'metadata'>>): Promise<Session | null> {
    const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    if (Object.keys(changes).length) await this.sessions.update({ id, userId }, changes);
    return this.findOwned(id, userId);
  }

  async delete(id: string, userId: string): Promise<boolean> {
    const result = await this.sessions.delete({ id, userId });
    return (result.affected ?? 0) > 0;
  }

  runsOf(id: string, userId: string): Promise<SessionRunSummary[]> {
    return this.sessions.query(
      `SELECT id, status, created_at, completed_at FROM runs WHERE session_id = $1 AND user_id = $2 ORDER BY created_at DESC, id`,
      [id, userId],
    );
  }
}
