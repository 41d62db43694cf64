import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { wrap } from '../../common/http/envelope.interceptor';
import { ParseIdPipe } from '../../common/http/parse-id.pipe';
import { ApiEnvelope, ApiErrors } from '../../common/openapi/api-docs.decorators';
import { confirmationBody, messageBody, sendPage } from './consent-link-page';
import { ConsentLinksService, stateProblem } from './consent-links.service';
import { ConsentLinkDecisionDto, ConsentLinkViewDto, mapLinkDecision, mapLinkView } from './dto/consent-link.dto';

/** A browser following the link (or posting its form) prefers HTML; API clients get JSON. */
const wantsHtml = (req: Request) => req.accepts(['application/json', 'text/html']) === 'text/html';
const TOKEN_QUERY = { name: 'token', type: String, required: true, description: 'The single-use token of the link, from the notification' };

/**
 * The approve/reject links of consent notifications: no login (the single-use token is the
 * credential), a GET that only shows what would be decided, and a POST that decides. Browsers
 * get small HTML pages (no scripts, no-store), other clients the envelopes.
 */
@ApiTags('consents')
@Controller('consents')
export class ConsentLinksController {
  constructor(private readonly links: ConsentLinksService) {}

  /**
   * What an approve or reject link would decide. A browser (`Accept: text/html`) gets the
   * confirmation page, whose button POSTs; other clients the envelope. Never decides. 404 for a
   * token that does not belong to this request; 409 once the request was decided.
   */
  @Get(':id/decide')
  @Public()
  @ApiProduces('application/json', 'text/html')
  @ApiQuery(TOKEN_QUERY)
  @ApiEnvelope(ConsentLinkViewDto, { description: 'What the link decides (JSON), or the confirmation page (HTML)' })
  @ApiErrors(ErrorCode.Conflict)
  async confirm(@Param('id', ParseIdPipe('Consent link')) id: string, @Query('token') token: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const html = wantsHtml(req);
    try {
      const { link, request } = await this.links.find(id, typeof token === 'string' ? token : undefined);
      const problem = stateProblem(link, request);
      if (problem) throw new AppException(ErrorCode.Conflict, problem);
      if (!html) {
        res.status(200).set('Cache-Control', 'no-store').json(wrap(mapLinkView(request, link.decision)));
        return;
      }
      sendPage(res, 200, link.decision === 'approve' ? 'Approve this action?' : 'Reject this action?', confirmationBody(request, link.decision, token!));
    } catch (error) {
      if (!html) throw error;
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
    const html = wantsHtml(req);
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
