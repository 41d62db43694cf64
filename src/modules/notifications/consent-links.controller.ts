import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { RawResponse, wrap } from '../../common/http/envelope.interceptor';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { ApiEnvelope, ApiErrors } from '../../common/openapi/api-docs.decorators';
import { confirmationBody, messageBody, sendPage } from './consent-link-page';
import { ConsentLinksService, stateProblem } from './consent-links.service';
import { ConsentLinkDecisionDto, mapLinkDecision } from './dto/consent-link.dto';

const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const TOKEN_QUERY = { name: 'token', type: String, required: true, description: 'The single-use token of the link, from the notification' };

/**
 * The approve/reject links of consent notifications: no login (the single-use token is the
 * credential), a GET that only shows what would be decided, and a POST that decides.
 */
@ApiTags('consents')
@Controller('consents')
export class ConsentLinksController {
  constructor(private readonly links: ConsentLinksService) {}

  /**
   * The confirmation page of an approve or reject link (HTML). It never decides: its button
   * POSTs. 404 for a token that does not belong to this request; 409 once it was decided.
   */
  @Get(':id/decide')
  @Public()
  @RawResponse()
  @ApiProduces('text/html')
  @ApiQuery(TOKEN_QUERY)
  @ApiOkResponse(html('The confirmation page: what the agent wants to do, and a button that POSTs the decision'))
  @ApiResponse({ status: 404, ...html('The link is not valid (unknown, tampered, or for another request)') })
  @ApiResponse({ status: 409, ...html('Already decided (or expired): the page says how') })
  async confirm(@Param('id', ParseIdPipe('Consent link')) id: string, @Query('token') token: string | undefined, @Res() res: Response): Promise<void> {
    try {
      const { link, request } = await this.links.find(id, typeof token === 'string' ? token : undefined);
      const problem = stateProblem(link, request);
      if (problem) return sendPage(res, 409, 'Already decided', messageBody(problem));
      sendPage(res, 200, link.decision === 'approve' ? 'Approve this action?' : 'Reject this action?', confirmationBody(request, link.decision, token!));
    } catch (error) {
      this.sendError(res, error);
    }
  }

  /**
   * Takes the link's decision (the same conditional decision as POST /chat/consent) and the
   * paused reply or run resumes. A browser form (`Accept: text/html`) gets an HTML page with
   * the same status, other clients the envelope; a second use is 409 "already decided", a token
   * that does not belong to this request 404.
   */
  @Post(':id/decide')
  @Public()
  @ApiProduces('application/json', 'text/html')
  @ApiQuery(TOKEN_QUERY)
  @ApiEnvelope(ConsentLinkDecisionDto, { status: 200 })
  @ApiErrors(ErrorCode.Conflict)
  async decide(@Param('id', ParseIdPipe('Consent link')) id: string, @Query('token') token: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const html = req.accepts(['application/json', 'text/html']) === 'text/html';
    try {
      const { request } = await this.links.decide(id, typeof token === 'string' ? token : undefined);
      const result = mapLinkDecision(request);
      if (!html) {
        res.status(200).json(wrap(result));
        return;
      }
      sendPage(res, 200, request.status === 'rejected' ? 'Rejected' : 'Approved', messageBody(result.message));
    } catch (error) {
      if (!html) throw error;
      this.sendError(res, error);
    }
  }

  private sendError(res: Response, error: unknown): void {
    if (!(error instanceof AppException)) throw error;
    if (error.code === ErrorCode.Conflict) return sendPage(res, 409, 'Already decided', messageBody(error.message));
    if (error.code === ErrorCode.ResourceNotFound) return sendPage(res, 404, 'Link not valid', messageBody('This link is not valid. Open the latest notification, or decide in the app.'));
    throw error;
  }
}
