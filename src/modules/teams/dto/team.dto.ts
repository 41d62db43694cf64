import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ORCHESTRATION_TYPES, type Orchestration, type OrchestrationType, Team, type TeamAgent } from '../team.entity';

export class TeamAgentDto {
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,49}$/, { message: 'name must be lowercase letters, digits, - or _ (at most 50)' })
  name: string;

  @IsString()
  @Length(1, 100)
  role: string;

  /** `provider:model` from GET /models; omit or null for the server's default. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string | null;

  @IsString()
  @Length(1, 8000)
  system_prompt: string;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @ArrayMaxSize(20)
  capabilities?: string[];

  /** Tool names the server offers (see README "Tools"). */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @ArrayMaxSize(20)
  tools?: string[];
}

export class OrchestrationDto {
  @IsIn(ORCHESTRATION_TYPES)
  type: OrchestrationType;

  @IsInt()
  @Min(1)
  @Max(20)
  max_iterations: number;

  @IsInt()
  @Min(1)
  @Max(120)
  timeout_minutes: number;
}

export class CreateTeamDto {
  /** Readable id, unique among your teams; default: from the name. */
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,99}$/, { message: 'slug must be lowercase letters, digits and -' })
  slug?: string;

  @IsString()
  @Length(1, 200)
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TeamAgentDto)
  agents: TeamAgentDto[];

  @ValidateNested()
  @Type(() => OrchestrationDto)
  orchestration: OrchestrationDto;

  @IsOptional()
  @IsObject()
  default_config?: Record<string, unknown>;
}

export class UpdateTeamDto {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TeamAgentDto)
  agents?: TeamAgentDto[];

  @IsOptional()
  @ValidateNested()
  @Type(() => OrchestrationDto)
  orchestration?: OrchestrationDto;

  @IsOptional()
  @IsObject()
  default_config?: Record<string, unknown>;
}

export class TeamDto {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  agents: TeamAgent[];
  orchestration: Orchestration;
  default_config: Record<string, unknown>;
  built_in: boolean;
  created_at: string;
  updated_at: string;
}

export function mapTeam(team: Team): TeamDto {
  return {
    id: team.id,
    slug: team.slug,
    name: team.name,
    description: team.description,
    agents: team.agents,
    orchestration: team.orchestration,
    default_config: team.defaultConfig,
    built_in: team.userId === null,
    created_at: team.createdAt.toISOString(),
    updated_at: team.updatedAt.toISOString(),
  };
}

export function toTeamAgents(agents: TeamAgentDto[]): TeamAgent[] {
  return agents.map((agent) => ({
    name: agent.name,
    role: agent.role,
    model: agent.model ?? null,
    system_prompt: agent.system_prompt,
    capabilities: agent.capabilities ?? [],
    tools: agent.tools ?? [],
  }));
}
