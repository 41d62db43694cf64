import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AgentService } from '../agent/agent.service';
import { ModelRegistry } from '../agent/models/model-registry';
import type { TeamSnapshot } from './team.entity';
import { CreateTeamDto, toTeamAgents, UpdateTeamDto } from './dto/team.dto';
import { Team, TeamAgent } from './team.entity';
import { TeamsRepository } from './teams.repository';

export const DEFAULT_TEAM_SLUG = 'general';

/** seed 003's `team_config`: picks a team by type and narrows it. */
export interface TeamConfigInput {
  team_type: string;
  agents?: string[];
  max_iterations?: number;
}

@Injectable()
export class TeamsService {
  constructor(
    private readonly teams: TeamsRepository,
    private readonly models: ModelRegistry,
    private readonly agent: AgentService,
  ) {}

  list(userId: string, query: { limit: number; offset: number }) {
    return this.teams.list(userId, query);
  }

  /** By id or slug; another user's team is not found. */
  async get(idOrSlug: string, userId: string): Promise<Team> {
    const team = isUUID(idOrSlug) ? await this.teams.findVisible(idOrSlug, userId) : await this.teams.findVisibleBySlug(idOrSlug, userId);
    if (!team) throw AppException.notFound('Team');
    return team;
  }

  async create(userId: string, dto: CreateTeamDto): Promise<Team> {
    const agents = toTeamAgents(dto.agents);
    this.validateAgents(agents);
    const slug = dto.slug ?? slugify(dto.name);
    if (await this.teams.findBuiltInBySlug(slug)) throw new AppException(ErrorCode.Conflict, `"${slug}" is a built-in team's slug; choose another`);
    const team = await this.teams.create({
      userId,
      slug,
      name: dto.name,
      description: dto.description ?? null,
      agents,
      orchestration: dto.orchestration,
      defaultConfig: dto.default_config ?? { max_iterations: dto.orchestration.max_iterations, collaboration_mode: dto.orchestration.type },
    });
    if (!team) throw new AppException(ErrorCode.Conflict, `You already have a team with slug "${slug}"`);
    return team;
  }

  async update(id: string, userId: string, dto: UpdateTeamDto): Promise<Team> {
    const team = await this.ownedForWrite(id, userId);
    const agents = dto.agents ? toTeamAgents(dto.agents) : undefined;
    if (agents) this.validateAgents(agents);
    const updated = await this.teams.update(team.id, userId, {
      name: dto.name,
      description: dto.description,
      agents,
      orchestration: dto.orchestration,
      defaultConfig: dto.default_config,
    });
    if (!updated) throw AppException.notFound('Team');
    return updated;
  }

  async delete(id: string, userId: string): Promise<void> {
    const team = await this.ownedForWrite(id, userId);
    if (!(await this.teams.delete(team.id, userId))) throw AppException.notFound('Team');
  }

  /**
   * The team a run uses, as a snapshot: `team_id` (id or slug), else `team_config.team_type`
   * (a slug with or without `-team`, its `agents` kept in the order named), else `general`.
   * An unknown team or agent is a 422 on the field that named it.
   */
  async resolveForRun(userId: string, teamId?: string, config?: TeamConfigInput): Promise<TeamSnapshot> {
    let team: Team | null = null;
    if (teamId) {
      team = isUUID(teamId) ? await this.teams.findVisible(teamId, userId) : await this.teams.findVisibleBySlug(teamId, userId);
      if (!team) throw AppException.validation({ team_id: [`no team "${teamId}" (see GET /teams)`] });
    } else if (config) {
      const base = config.team_type.replace(/-team$/, '');
      team = (await this.teams.findVisibleBySlug(base, userId)) ?? (await this.teams.findVisibleBySlug(`${base}-team`, userId));
      if (!team) throw AppException.validation({ 'team_config.team_type': [`no team "${config.team_type}" (see GET /teams)`] });
    } else {
      team = await this.teams.findBuiltInBySlug(DEFAULT_TEAM_SLUG);
      if (!team) throw new AppException(ErrorCode.InternalError, 'The built-in general team is missing');
    }
    let agents = team.agents;
    if (config?.agents?.length) {
      const unknown = config.agents.filter((name) => !team.agents.some((agent) => agent.name === name || agent.role === name));
      if (unknown.length) {
        throw AppException.validation({ 'team_config.agents': [`${team.slug} has no agent ${unknown.join(', ')}; it has ${team.agents.map((a) => a.name).join(', ')}`] });
      }
      agents = config.agents.map((name) => team.agents.find((agent) => agent.name === name || agent.role === name)!);
    }
    const maxIterations = config?.max_iterations ?? team.orchestration.max_iterations;
    return {
      id: team.id,
      slug: team.slug,
      name: team.name,
      agents: agents.map((agent) => ({ ...agent, model: agent.model ?? null })),
      orchestration: { ...team.orchestration, max_iterations: maxIterations },
    };
  }

  private async ownedForWrite(id: string, userId: string): Promise<Team> {
    const team = await this.get(id, userId);
    if (team.userId === null) throw new AppException(ErrorCode.AccessDenied, 'Built-in teams are read-only; create your own team instead');
    return team;
  }

  /** Every model must be one GET /models offers and every tool one the server has. */
  private validateAgents(agents: TeamAgent[]): void {
    const models = new Set(this.models.availableModels());
    const tools = new Set(this.agent.toolDescriptions().map((tool) => tool.name));
    const errors: Record<string, string[]> = {};
    const names = new Set<string>();
    agents.forEach((agent, index) => {
      if (names.has(agent.name)) (errors[`agents.${index}.name`] ??= []).push(`duplicate agent name "${agent.name}"`);
      names.add(agent.name);
      if (agent.model !== null && !models.has(agent.model)) {
        (errors[`agents.${index}.model`] ??= []).push(`"${agent.model}" is not offered by this server; use one of ${[...models].join(', ')}`);
      }
      const unknown = agent.tools.filter((tool) => !tools.has(tool));
      if (unknown.length) (errors[`agents.${index}.tools`] ??= []).push(`unknown tools: ${unknown.join(', ')}; available: ${[...tools].join(', ')}`);
    });
    if (Object.keys(errors).length) throw AppException.validation(errors);
  }
}

function slugify(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100);
  return slug || 'team';
}
