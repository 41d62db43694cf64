import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { ErrorCode } from '../../common/errors/error-code';
import { ApiEnvelope, ApiErrors } from '../../common/openapi/api-docs.decorators';
import { Idempotent } from '../idempotency/idempotent.decorator';
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
  @ApiEnvelope([TeamDto], { paginated: true })
  async list(@CurrentUser() user: AuthUser, @Query() query: PaginationQueryDto): Promise<Envelope<TeamDto[]>> {
    const [rows, total] = await this.teams.list(user.id, query);
    return Envelope.paginated(rows.map(mapTeam), total, query.limit, query.offset);
  }

  /** A team by id or by slug (e.g. `research-team`). */
  @Get(':id')
  async get(@CurrentUser() user: AuthUser, @Param('id') idOrSlug: string): Promise<TeamDto> {
    return mapTeam(await this.teams.get(idOrSlug, user.id));
  }

  /** Creates a team of your own; its models and tools must be ones the server offers. */
  @Post()
  @Idempotent()
  @ApiEnvelope(TeamDto, { message: true })
  @ApiErrors(ErrorCode.Conflict)
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateTeamDto): Promise<Envelope<TeamDto>> {
    return Envelope.withMessage(mapTeam(await this.teams.create(user.id, dto)), 'Team created successfully');
  }

  /** Your own teams only; built-in ones answer 403. */
  @Put(':id')
  @ApiEnvelope(TeamDto, { message: true })
  @ApiErrors(ErrorCode.AccessDenied, ErrorCode.Conflict)
  async update(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Team')) id: string, @Body() dto: UpdateTeamDto): Promise<Envelope<TeamDto>> {
    return Envelope.withMessage(mapTeam(await this.teams.update(id, user.id, dto)), 'Team updated successfully');
  }

  /** Deletes a team of your own; built-in ones answer 403. */
  @Delete(':id')
  @ApiEnvelope(null, { message: true })
  @ApiErrors(ErrorCode.AccessDenied)
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Team')) id: string): Promise<Envelope<null>> {
    await this.teams.delete(id, user.id);
    return Envelope.withMessage(null, 'Team deleted successfully');
  }
}
