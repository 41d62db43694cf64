import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { ErrorCode } from '../../common/errors/error-code';
import { ApiEnvelope, ApiErrors } from '../../common/openapi/api-docs.decorators';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { Envelope } from '../../common/http/envelope';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { CreateSessionDto, ListSessionsQueryDto, mapSession, SessionDto, UpdateSessionDto } from './dto/session.dto';
import { SessionsService } from './sessions.service';

@ApiTags('sessions')
@ApiBearerAuth()
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** Your sessions, newest first; `status` filters. */
  @Get()
  @ApiEnvelope([SessionDto], { paginated: true })
  async list(@CurrentUser() user: AuthUser, @Query() query: ListSessionsQueryDto): Promise<Envelope<SessionDto[]>> {
    const [rows, total] = await this.sessions.list(user.id, query);
    return Envelope.paginated(rows.map((row) => mapSession(row)), total, query.limit, query.offset);
  }

  /** Opens a session to start runs in. */
  @Post()
  @Idempotent()
  @ApiEnvelope(SessionDto, { message: true })
  @ApiErrors(ErrorCode.QuotaExceeded)
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateSessionDto): Promise<Envelope<SessionDto>> {
    return Envelope.withMessage(mapSession(await this.sessions.create(user.id, dto)), 'Session created successfully');
  }

  /** The session with its runs (id, status, created_at, completed_at), newest first. */
  @Get(':id')
  async get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Session')) id: string): Promise<SessionDto> {
    const session = await this.sessions.get(id, user.id);
    return mapSession(session, await this.sessions.runsOf(id, user.id));
  }

  /** Renames it, or changes its description, status or metadata. */
  @Put(':id')
  @ApiEnvelope(SessionDto, { message: true })
  async update(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Session')) id: string, @Body() dto: UpdateSessionDto): Promise<Envelope<SessionDto>> {
    return Envelope.withMessage(mapSession(await this.sessions.update(id, user.id, dto)), 'Session updated successfully');
  }

  /** Cancels the session's runs and deletes it with its runs, messages, events and checkpoints. */
  @Delete(':id')
  @ApiEnvelope(null, { message: true })
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Session')) id: string): Promise<Envelope<null>> {
    await this.sessions.delete(id, user.id);
    return Envelope.withMessage(null, 'Session deleted successfully');
  }
}
