import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { ErrorCode } from '../../common/errors/error-code';
import { ApiEnvelope, ApiErrors, ApiEventStream } from '../../common/openapi/api-docs.decorators';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { AppException } from '../../common/errors/app.exception';
import { Envelope } from '../../common/http/envelope';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { SseStream } from '../../common/http/sse';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { AppConfig } from '../../config/app-config';
import { CreateRunDto, ListRunsQueryDto, mapRun, mapRunStarted, RunDto, RunStartedDto } from './dto/run.dto';
import { RunsService } from './runs.service';

@ApiTags('runs')
@ApiBearerAuth()
@Controller()
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly shutdown: ShutdownService,
    private readonly config: AppConfig,
  ) {}

  /** Queues a run of a team on a task; it executes in the background (watch GET /runs/:id/stream). */
  @Post('runs')
  @HttpCode(202)
  @Idempotent()
  @ApiEnvelope(RunStartedDto, { message: true })
  @ApiErrors(ErrorCode.ResourceNotFound, ErrorCode.QuotaExceeded)
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateRunDto): Promise<Envelope<RunStartedDto>> {
    return Envelope.withMessage(mapRunStarted(await this.runs.create(user.id, dto)), 'Run started successfully');
  }

  /** All your runs, newest first; `status` filters. */
  @Get('runs')
  @ApiEnvelope([RunDto], { paginated: true })
  async list(@CurrentUser() user: AuthUser, @Query() query: ListRunsQueryDto): Promise<Envelope<RunDto[]>> {
    const [rows, total] = await this.runs.list(user.id, query);
    return Envelope.paginated(rows.map((run) => mapRun(run)), total, query.limit, query.offset);
  }

  /** The runs of one session, newest first. */
  @Get('sessions/:id/runs')
  @ApiEnvelope([RunDto], { paginated: true })
  async listOfSession(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Session')) id: string, @Query() query: ListRunsQueryDto): Promise<Envelope<RunDto[]>> {
    const [rows, total] = await this.runs.list(user.id, { ...query, sessionId: id });
    return Envelope.paginated(rows.map((run) => mapRun(run)), total, query.limit, query.offset);
  }

  /** Status, progress, every agent message, team_result, usage and error. */
  @Get('runs/:id')
  async get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Run')) id: string): Promise<RunDto> {
    const run = await this.runs.get(id, user.id);
    return mapRun(run, await this.runs.messages(id, user.id));
  }

  /** Cancels a queued, running or awaiting_consent run, on whichever instance it runs. */
  @Post('runs/:id/cancel')
  @HttpCode(200)
  @ApiEnvelope(RunDto, { message: true })
  @ApiErrors(ErrorCode.Conflict)
  async cancel(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Run')) id: string): Promise<Envelope<RunDto>> {
    return Envelope.withMessage(mapRun(await this.runs.cancel(id, user.id)), 'Run cancelled');
  }

  /** The run's events as SSE, from the start or after `Last-Event-ID`, ending with run_completed. */
  @Get('runs/:id/stream')
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  @ApiEventStream('The run events as Server-Sent Events')
  async stream(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe('Run')) id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (lastEventId !== undefined && !/^\d{1,9}$/.test(lastEventId)) {
      throw AppException.validation({ 'Last-Event-ID': ['must be an event id (a non-negative integer)'] });
    }
    await this.runs.get(id, user.id);
    const sse = new SseStream(res, this.shutdown, this.config.chat.heartbeatSeconds);
    const abort = new AbortController();
    sse.onClose(() => abort.abort());
    try {
      for await (const event of this.runs.follow(id, Number(lastEventId ?? 0), abort.signal)) {
        if (!sse.isOpen) break;
        sse.send({ id: event.seq, type: event.type, data: event.data });
      }
    } finally {
      sse.end();
    }
  }
}
