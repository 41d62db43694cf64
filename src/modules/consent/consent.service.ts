import { Injectable, Optional } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { hashToken } from '../auth/tokens.service';
import { AppMetrics } from '../metrics/app-metrics';
import { actionHash } from './action-hash';
import { ConsentDecision, ConsentRequest, ConsentStatus } from './consent-request.entity';
import { ConsentRepository } from './consent.repository';
import { DecideConsentDto } from './dto/consent.dto';

/** Resumes a run paused for consent (registered by the Runs module; Chat calls it). */
export type RunResumer = (request: ConsentRequest, decisions: ConsentDecision[]) => Promise<void>;

export interface DecidedConsent {
  request: ConsentRequest;
  /** Plain tokens of the approved actions, in action order (only their hashes are stored). */
  tokens: string[];
}

@Injectable()
export class ConsentService {
  private runResumer?: RunResumer;

  constructor(
    private readonly consents: ConsentRepository,
    private readonly config: AppConfig,
    @Optional() private readonly metrics?: AppMetrics,
  ) {}

  setRunResumer(resumer: RunResumer): void {
    this.runResumer = resumer;
  }

  /** Hands a decided (or expired) run consent request to the Runs module. */
  async resumeRun(request: ConsentRequest, decisions: ConsentDecision[]): Promise<void> {
    if (!this.runResumer) throw new AppException(ErrorCode.ServiceUnavailable, 'Runs are not available on this server');
    await this.runResumer(request, decisions);
  }

  list(userId: string, query: { status?: ConsentStatus; limit: number; offset: number }) {
    return this.consents.list(userId, query);
  }

  async get(id: string, userId: string): Promise<ConsentRequest> {
    const request = await this.consents.findOwned(id, userId);
    if (!request) throw AppException.notFound('Consent request');
    return request;
  }

  /**
   * Records the person's decision (one conditional UPDATE: the first decider wins, a replay
   * gets CONFLICT) and issues one single-use token per approved action.
   */
  async decide(userId: string, dto: DecideConsentDto): Promise<DecidedConsent> {
    const request = await this.get(dto.consent_request_id, userId);
    if (request.status !== 'pending') {
      throw new AppException(ErrorCode.Conflict, `This consent request is already ${request.status}`);
    }
    const decisions = this.toDecisions(request, dto);
    const approved = decisions.filter((decision) => decision.type !== 'reject').length;
    const status: ConsentStatus = approved === 0 ? 'rejected' : approved === decisions.length ? 'approved' : 'partial';
    const reason = dto.reason ?? decisions.find((decision) => decision.reason)?.reason ?? null;

    const decided = await this.consents.decide(request.id, userId, { status, decisions, reason, decidedBy: userId });
    if (!decided) throw new AppException(ErrorCode.Conflict, 'This consent request was already decided or has expired');
    this.metrics?.consentDecisions.inc({ outcome: status });

    const tokens = decisions.filter((decision) => decision.type !== 'reject').map(() => randomBytes(24).toString('base64url'));
    const approvedDecisions = decisions.filter((decision) => decision.type !== 'reject');
    await this.consents.insertTokens(
      approvedDecisions.map((decision, index) => ({
        consentRequestId: request.id,
        userId,
        // Tokens are scoped to what paused: the conversation, or the run.
        conversationId: (request.conversationId ?? request.runId)!,
        tokenHash: hashToken(tokens[index]),
        actionHash: actionHash(decision.tool, decision.arguments ?? {}),
        expiresAt: new Date(Date.now() + this.config.chat.consentTtlSeconds * 1000),
      })),
    );
    return { request: decided, tokens };
  }

  /** Rejections for every action, as the expiry job resolves an unanswered request. */
  expiredDecisions(request: ConsentRequest): ConsentDecision[] {
    this.metrics?.consentDecisions.inc({ outcome: 'expired' });
    return request.actions.map((action) => ({ type: 'reject', tool: action.tool, reason: 'The consent request expired without a decision.' }));
  }

  private toDecisions(request: ConsentRequest, dto: DecideConsentDto): ConsentDecision[] {
    if (!dto.decisions && dto.edited_arguments && request.actions.length > 1) {
      throw AppException.validation({ edited_arguments: ['this request has several actions: send decisions[], one per action'] });
    }
    // One decision without decisions[] applies to every action of the request.
    const perAction = dto.decisions ?? request.actions.map(() => ({ approved: dto.approved!, edited_arguments: dto.edited_arguments, reason: dto.reason }));
    if (perAction.length !== request.actions.length) {
      throw AppException.validation({ decisions: [`expected ${request.actions.length} decisions, one per action`] });
    }
    return request.actions.map((action, index) => {
      const decision = perAction[index];
      if (!decision.approved) return { type: 'reject', tool: action.tool, reason: decision.reason };
      if (decision.edited_arguments) {
        if (!action.allowed_decisions.includes('edit')) {
          throw AppException.validation({ edited_arguments: [`${action.tool} cannot be edited, only approved or rejected`] });
        }
        return { type: 'edit', tool: action.tool, arguments: decision.edited_arguments, reason: decision.reason };
      }
      return { type: 'approve', tool: action.tool, arguments: action.arguments, reason: decision.reason };
    });
  }
}
