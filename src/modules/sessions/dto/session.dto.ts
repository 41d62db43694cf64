import { PaginationQueryDto } from '../../../common/http/pagination.dto';
import { IsIn, IsObject, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { Session, SESSION_STATUSES, SessionStatus } from '../session.entity';
import type { SessionRunSummary } from '../sessions.repository';

export class CreateSessionDto {
  @IsString()
  @Length(1, 200)
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  /** Free-form JSON (tags, priority, ...), returned as sent. */
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class UpdateSessionDto {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @IsOptional()
  @IsIn(SESSION_STATUSES)
  status?: SessionStatus;

  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class ListSessionsQueryDto extends PaginationQueryDto {
  /** Seed 003's default page size for sessions. */
  override limit: number = 50;

  @IsOptional()
  @IsIn(SESSION_STATUSES)
  status?: SessionStatus;
}

export class SessionRunDto {
  id: string;
  status: string;
  created_at: string;
  completed_at: string | null;
}

export class SessionDto {
  id: string;
  name: string;
  description: string | null;
  status: SessionStatus;
  created_at: string;
  updated_at: string;
  user_id: string;
  metadata: Record<string, unknown>;
  runs?: SessionRunDto[];
}

export function mapSession(session: Session, runs?: SessionRunSummary[]): SessionDto {
  return {
    id: session.id,
    name: session.name,
    description: session.description,
    status: session.status,
    created_at: session.createdAt.toISOString(),
    updated_at: session.updatedAt.toISOString(),
    user_id: session.userId,
    metadata: session.metadata,
    ...(runs
      ? {
          runs: runs.map((run) => ({
            id: run.id,
            status: run.status,
            created_at: new Date(run.created_at).toISOString(),
            completed_at: run.completed_at ? new Date(run.completed_at).toISOString() : null,
          })),
        }
      : {}),
  };
}
