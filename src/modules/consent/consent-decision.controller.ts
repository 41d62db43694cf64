import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { ErrorCode } from '../../common/errors/error-code';
import { wrap } from '../../common/http/envelope.interceptor';
import { pipeSse, wantsEventStream } from '../../common/http/sse';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { ApiEnvelope, ApiErrors } from '../../common/openapi/api-docs.decorators';
import { AppConfig } from '../../config/app-config';
import { ConsentService } from './consent.service';
import { ConsentDecisionResultDto, DecideConsentDto, mapDecisionResult } from './dto/consent.dto';

/** Where a person decides (seed 000's POST /chat/consent); the paused reply or run resumes. */
@ApiTags('chat')
@ApiBearerAuth()
@Controller('chat')
export class ConsentDecisionController {
  constructor(
    private readonly consents: ConsentService,
    private readonly shutdown: ShutdownService,
    private readonly config: AppConfig,
  ) {}

  /** Approves (optionally with edited arguments) or rejects a consent request; the agent resumes. */
  @Post('consent')
  @ApiProduces('application/json', 'text/event-stream')
  @ApiEnvelope(ConsentDecisionResultDto, { status: 200, eventStream: 'the resumed reply as Server-Sent Events' })
  @ApiErrors(ErrorCode.ResourceNotFound, ErrorCode.Conflict)
  async decide(@CurrentUser() user: AuthUser, @Body() dto: DecideConsentDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    const decided = await this.consents.decide(user.id, dto);
    const continuation = decided.continuation;
    if (!(dto.stream ?? wantsEventStream(req)) || !continuation) {
      res.status(200).json(wrap(mapDecisionResult(decided)));
      return;
    }
    await pipeSse(res, this.shutdown, this.config.chat.heartbeatSeconds, (signal) => continuation.follow(signal));
  }
}
