import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { Envelope } from '../../common/http/envelope';
import { PaginationQueryDto } from '../../common/http/pagination.dto';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { CreateTeamDto, mapTeam, TeamDto, UpdateTeamDto } from './dto/team.dto';
import { TeamsService } from './teams.service';

@ApiTags('teams')
@ApiBearerAuth()
@Controller('teams')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  /** Built-in teams and your own. */
  @Get()
  async list(@CurrentUser() user: AuthUser, @Query() query: PaginationQueryDto): Promise<Envelope<TeamDto[]>> {
    const [rows, total] = await this.teams.list(user.id, query);
    return Envelope.paginated(rows.map(mapTeam), total, query.limit, query.offset);
  }

  /** By id or slug (e.g. `research-team`). */
  @Get(':idOrSlug')
  async get(@CurrentUser() user: AuthUser, @Param('idOrSlug') idOrSlug: string): Promise<TeamDto> {
    return mapTeam(await this.teams.get(idOrSlug, user.id));
  }

  @Post()
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateTeamDto): Promise<Envelope<TeamDto>> {
    return Envelope.withMessage(mapTeam(await this.teams.create(user.id, dto)), 'Team created successfully');
  }

  /** Your own teams only; built-in ones answer 403. */
  @Put(':id')
  async update(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Team')) id: string, @Body() dto: UpdateTeamDto): Promise<Envelope<TeamDto>> {
    return Envelope.withMessage(mapTeam(await this.teams.update(id, user.id, dto)), 'Team updated successfully');
  }

  @Delete(':id')
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Team')) id: string): Promise<Envelope<null>> {
    await this.teams.delete(id, user.id);
    return Envelope.withMessage(null, 'Team deleted successfully');
  }
}
