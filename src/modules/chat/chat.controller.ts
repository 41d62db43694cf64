import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { Envelope } from '../../common/http/envelope';
import { wrap } from '../../common/http/envelope.interceptor';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { pipeSse, wantsEventStream } from '../../common/http/sse';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { ApiEnvelope, ApiErrors, ApiEventStream } from '../../common/openapi/api-docs.decorators';
import { AppConfig } from '../../config/app-config';
import { idempotencyOf } from '../idempotency/idempotency.context';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ConversationsService } from './conversations.service';
import {
  CancelReplyDto,
  ChatReplyDto,
  ConversationDto,
  CreateConversationDto,
  HistoryQueryDto,
  ListConversationsQueryDto,
  mapConversation,
  mapConversationSummary,
  mapMessage,
  MessageDto,
  SendMessageDto,
  UpdateConversationDto,
} from './dto/chat.dto';
import { RepliesService } from './replies.service';
import type { ReplyEvent } from './reply-event';
import { followLive, ReplyReplay } from './reply-replay';

const DETAIL_MESSAGES = 50;

@ApiTags('chat')
@ApiBearerAuth()
@Controller('chat')
export class ChatController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly replies: RepliesService,
    private readonly replay: ReplyReplay,
    private readonly shutdown: ShutdownService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Sends a message and answers the agent's reply: whole (JSON), or as Server-Sent Events with
   * `stream: true` or `Accept: text/event-stream`. The reply is generated and stored even if
   * the client goes away; re-attach with GET /chat/conversations/:id/stream.
   */
  @Post('message')
  @Idempotent()
  @ApiProduces('application/json', 'text/event-stream')
  @ApiEnvelope(ChatReplyDto, { status: 200, eventStream: 'the reply as Server-Sent Events' })
  @ApiErrors(ErrorCode.ResourceNotFound, ErrorCode.Conflict, ErrorCode.QuotaExceeded, ErrorCode.ProviderError, ErrorCode.ServiceUnavailable)
  async message(@CurrentUser() user: AuthUser, @Body() dto: SendMessageDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    // A retry (same Idempotency-Key) of a streamed message re-attaches to its reply from the start.
    const reattach = idempotencyOf(req)?.reattach as { conversation_id: string; first_seq: number } | undefined;
    if (reattach) return this.pipe(res, (signal) => this.replay.replay(reattach.conversation_id, user.id, reattach.first_seq - 1, signal));
    const started = await this.replies.send(user.id, dto);
    if (!(dto.stream ?? wantsEventStream(req))) {
      const reply: ChatReplyDto = await this.replies.awaitReply(started, user.id);
      res.status(200).json(wrap(reply));
      return;
    }
    await idempotencyOf(req)?.streaming({ conversation_id: started.conversationId, message_id: started.messageId, first_seq: started.live.firstSeq });
    // The reply just started here: follow it in memory.
    await this.pipe(res, (signal) => followLive(started.live, started.live.firstSeq - 1, signal));
  }

  /** The user's conversations, most recent first; `q` searches titles and messages. */
  @Get('conversations')
  @ApiEnvelope([ConversationDto], { paginated: true })
  async list(@CurrentUser() user: AuthUser, @Query() query: ListConversationsQueryDto): Promise<Envelope<ConversationDto[]>> {
    const [rows, total] = await this.conversations.list(user.id, { search: query.q, limit: query.limit, offset: query.offset });
    return Envelope.paginated(rows.map(mapConversationSummary), total, query.limit, query.offset);
  }

  /** Starts an empty conversation, optionally with its model. */
  @Post('conversations')
  @Idempotent()
  @ApiErrors(ErrorCode.QuotaExceeded, ErrorCode.ServiceUnavailable)
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateConversationDto): Promise<ConversationDto> {
    return mapConversation(await this.conversations.create(user.id, dto), { message_count: 0, messages: [] });
  }

  /** A conversation with its latest messages (up to 50, oldest first). */
  @Get('conversations/:id')
  async get(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Conversation')) id: string): Promise<ConversationDto> {
    const conversation = await this.conversations.get(id, user.id);
    const messages = await this.conversations.history(id, user.id, { limit: DETAIL_MESSAGES });
    return mapConversation(conversation, { messages: messages.reverse().map(mapMessage) });
  }

  /** Renames a conversation or changes its model. */
  @Patch('conversations/:id')
  @ApiErrors(ErrorCode.ServiceUnavailable)
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe('Conversation')) id: string,
    @Body() dto: UpdateConversationDto,
  ): Promise<ConversationDto> {
    return mapConversation(await this.conversations.update(id, user.id, dto));
  }

  /** Deletes the conversation, its messages, consent requests and the agent's checkpoints. */
  @Delete('conversations/:id')
  @ApiEnvelope(null, { message: true })
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Conversation')) id: string): Promise<Envelope<null>> {
    await this.conversations.delete(id, user.id);
    return Envelope.withMessage(null, 'Conversation deleted');
  }

  /** Newest page first; pass the oldest id you have as `before` for the previous page. */
  @Get('conversations/:id/messages')
  async history(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe('Conversation')) id: string,
    @Query() query: HistoryQueryDto,
  ): Promise<MessageDto[]> {
    return (await this.conversations.history(id, user.id, query)).map(mapMessage);
  }

  /**
   * Re-attaches to the live or latest reply, through a decided consent pause into its
   * continuation, until its final state; `Last-Event-ID` replays exactly what was missed.
   */
  @Get('conversations/:id/stream')
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The last event id received; replays what came after it' })
  @ApiEventStream('The reply as Server-Sent Events')
  async stream(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseIdPipe('Conversation')) id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (lastEventId !== undefined && !/^\d{1,15}$/.test(lastEventId)) {
      throw AppException.validation({ 'Last-Event-ID': ['must be an event id (a non-negative integer)'] });
    }
    await this.conversations.get(id, user.id);
    const after = lastEventId === undefined ? undefined : Number(lastEventId);
    await this.pipe(res, (signal) => this.replay.replay(id, user.id, after, signal));
  }

  /** Stops the reply being generated, if any. */
  @Post('conversations/:id/cancel')
  @HttpCode(200)
  @ApiEnvelope(CancelReplyDto, { message: true })
  async cancel(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe('Conversation')) id: string): Promise<Envelope<CancelReplyDto>> {
    const cancelled = await this.replies.cancel(id, user.id);
    return Envelope.withMessage({ conversation_id: id, cancelled }, cancelled ? 'Cancelling the reply' : 'No reply is being generated');
  }

  private pipe(res: Response, events: (signal: AbortSignal) => AsyncGenerator<ReplyEvent>): Promise<void> {
    return pipeSse(res, this.shutdown, this.config.chat.heartbeatSeconds, events);
  }
}
