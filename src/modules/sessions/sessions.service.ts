import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { Session, SessionStatus } from './session.entity';
import { SessionsRepository } from './sessions.repository';
import { UserLimitsService } from '../user-settings/user-limits.service';

/** Work other modules must do before a session's rows go (Runs: cancel its runs, drop checkpoints). */
export type SessionDeleteHook = (sessionId: string, userId: string) => Promise<void>;

@Injectable()
export class SessionsService {
  private readonly deleteHooks: SessionDeleteHook[] = [];

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly limits: UserLimitsService,
  ) {}

  onDelete(hook: SessionDeleteHook): void {
    this.deleteHooks.push(hook);
  }

  async create(userId: string, data: { name: string; description?: string; metadata?: Record<string, unknown> }): Promise<Session> {
    const { max_sessions: limit } = await this.limits.effective(userId);
    if (limit > 0) {
      const used = await this.sessions.countOwned(userId);
      if (used >= limit) throw new AppException(ErrorCode.QuotaExceeded, 'Session limit reached; delete a session first', { limit, used });
    }
    return this.sessions.create({ userId, name: data.name, description: data.description ?? null, metadata: data.metadata ?? {} });
  }

  list(userId: string, query: { status?: SessionStatus; limit: number; offset: number }) {
    return this.sessions.list(userId, query);
  }

  async get(id: string, userId: string): Promise<Session> {
    const session = await this.sessions.findOwned(id, userId);
    if (!session) throw AppException.notFound('Session');
    return session;
  }

  runsOf(id: string, userId: string) {
    return this.sessions.runsOf(id, userId);
  }

  async update(id: string, userId: string, patch: { name?: string; description?: string; status?: SessionStatus; metadata?: Record<string, unknown> }) {
    const updated = await this.sessions.update(id, userId, patch);
    if (!updated) throw AppException.notFound('Session');
    return updated;
  }

  /** Cancels the session's runs (hooks), then deletes it; runs, messages and events cascade. */
  async delete(id: string, userId: string): Promise<void> {
    await this.get(id, userId);
    for (const hook of this.deleteHooks) await hook(id, userId);
    if (!(await this.sessions.delete(id, userId))) throw AppException.notFound('Session');
  }
}
