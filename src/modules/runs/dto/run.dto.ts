import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { PaginationQueryDto } from '../../../common/http/pagination.dto';
import type { TokenUsage } from '../../agent/agent.types';
import type { RunMessage, RunMessageType } from '../run-message.entity';
import { Run, RUN_STATUSES, RunProgress, RunStatus, TeamResult } from '../run.entity';

export class TeamConfigDto {
  /** A team slug, with or without `-team` (`research` = `research-team`). */
  @IsString()
  @Length(1, 100)
  team_type: string;

  /** Keep only these members (names or roles), in this order. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  agents?: string[];

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  max_iterations?: number;
}

export class CreateRunDto {
  @IsUUID()
  session_id: string;

  @IsString()
  @Length(1, 20_000)
  task: string;

  /** A team id or slug; default: `team_config`, else the `general` team. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  team_id?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => TeamConfigDto)
  team_config?: TeamConfigDto;

  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  /** File ids (with Files); accepted and kept in metadata for now. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsUUID('all', { each: true })
  attachments?: string[];
}

export class ListRunsQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsIn(RUN_STATUSES)
  status?: RunStatus;
}

export class RunStartedDto {
  id: string;
  session_id: string;
  status: RunStatus;
  task: string;
  team: { id: string | null; slug: string };
  created_at: string;
  estimated_completion: string;
}

export class RunMessageDto {
  timestamp: string;
  agent: string;
  content: string;
  type: RunMessageType;
}

export class RunDto {
  id: string;
  session_id: string;
  status: RunStatus;
  task: string;
  team: { id: string | null; slug: string; name: string; orchestration: Run['team']['orchestration']; agents: string[] };
  progress: RunProgress;
  team_result: TeamResult | null;
  usage: TokenUsage;
  error: { code: string; message: string } | null;
  metadata: Record<string, unknown>;
  attempts: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  messages?: RunMessageDto[];
}

/** Seconds a turn is assumed to take before a run has measured its own. */
const ESTIMATED_TURN_SECONDS = 20;

export function estimatedCompletion(run: Run): string {
  const { agents, orchestration } = run.team;
  const turns = orchestration.type === 'round_robin' ? orchestration.max_iterations : agents.length + (orchestration.type === 'supervisor' ? 1 : 0);
  return new Date(run.createdAt.getTime() + turns * ESTIMATED_TURN_SECONDS * 1000).toISOString();
}

export function mapRunStarted(run: Run): RunStartedDto {
  return {
    id: run.id,
    session_id: run.sessionId,
    status: run.status,
    task: run.task,
    team: { id: run.team.id, slug: run.team.slug },
    created_at: run.createdAt.toISOString(),
    estimated_completion: estimatedCompletion(run),
  };
}

export function mapRun(run: Run, messages?: RunMessage[]): RunDto {
  return {
    id: run.id,
    session_id: run.sessionId,
    status: run.status,
    task: run.task,
    team: { id: run.team.id, slug: run.team.slug, name: run.team.name, orchestration: run.team.orchestration, agents: run.team.agents.map((agent) => agent.name) },
    progress: run.progress,
    team_result: run.teamResult,
    usage: run.usage,
    error: run.error,
    // seed 003 reads model_used and tokens_consumed from metadata.
    metadata: { ...run.metadata, model_used: run.modelUsed, tokens_consumed: run.usage.total_tokens },
    attempts: run.attempts,
    created_at: run.createdAt.toISOString(),
    started_at: run.startedAt?.toISOString() ?? null,
    completed_at: run.completedAt?.toISOString() ?? null,
    ...(messages
      ? { messages: messages.map((message) => ({ timestamp: message.createdAt.toISOString(), agent: message.agent, content: message.content, type: message.type })) }
      : {}),
  };
}
