import { Injectable, Logger, Optional } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { hashToken } from '../auth/tokens.service';
import { AppMetrics } from '../metrics/app-metrics';
import { actionHash } from './action-hash';
import { ConsentEvent, ConsentObserver, ConsentResumer, PausedKind, pausedKind, ResumedContinuation } from './consent-hooks';
import { ConsentAction, ConsentDecision, ConsentRequest, ConsentStatus } from './consent-request.entity';
import { ConsentRepository } from './consent.repository';
import { DecideConsentDto } from './dto/consent.dto';

export interface DecidedConsent {
  request: ConsentRequest;
  /** Plain tokens of the approved actions, in action order (only their hashes are stored). */
  tokens: string[];
  /** The resumed reply or run, when it could be started here. */
  continuation: ResumedContinuation | null;
}

type OpenConsent = { userId: string; actions: ConsentAction[] } & ({ conversationId: string; messageId: string } | { runId: string });

/**
 * The one owner of consent: opens requests (and their expiry), decides them (first decider
 * wins), issues and spends approvals, expires unanswered ones, and hands each outcome to the
 * resumer of what paused. Chat, Runs and the tools call it; nothing else touches the tables.
 */
@Injectable()
export class ConsentService {
  private readonly logger = new Logger(ConsentService.name);
  private readonly resumers = new Map<PausedKind, ConsentResumer>();
  private readonly observers: ConsentObserver[] = [];

  constructor(
    private readonly consents: ConsentRepository,
    private readonly config: AppConfig,
    @Optional() private readonly metrics?: AppMetrics,
  ) {}

  registerResumer(kind: PausedKind, resumer: ConsentResumer): void {
    this.resumers.set(kind, resumer);
  }

  observe(observer: ConsentObserver): void {
    this.observers.push(observer);
  }

  /** Stores a pending request for these actions, expiring after CONSENT_TTL. */
  async open(params: OpenConsent): Promise<ConsentRequest> {
    const expiresAt = new Date(Date.now() + this.config.chat.consentTtlSeconds * 1000);
    const request = await this.consents.create({ ...params, expiresAt });
    this.notify({ type: 'opened', request });
    return request;
  }

  findPending(conversationId: string, userId: string): Promise<ConsentRequest | null> {
    return this.consents.findPending(conversationId, userId);
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
   * gets CONFLICT), issues one single-use token per approved action, then resumes what paused.
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
    this.notify({ type: 'decided', request: decided });
    const continuation = await this.resume(decided, decisions);
    return { request: decided, tokens, continuation };
  }

  /**
   * Resolves up to `limit` unanswered requests past their expiry as rejected (each exactly once
   * across instances) and resumes what they paused. Returns how many expired.
   */
  async expireDue(limit: number): Promise<number> {
    const expired = await this.consents.expireDue(limit);
    for (const request of expired) {
      this.metrics?.consentDecisions.inc({ outcome: 'expired' });
      this.notify({ type: 'expired', request });
      const decisions: ConsentDecision[] = request.actions.map((action) => ({
        type: 'reject',
        tool: action.tool,
        reason: 'The consent request expired without a decision.',
      }));
      await this.resume(request, decisions).catch((error) => this.logger.error({ err: error, consent_request_id: request.id }, 'Resume after expiry failed'));
    }
    return expired.length;
  }

  /**
   * Spends one unused approval for exactly this tool call (name and final arguments) in this
   * conversation or run. False when there is none: the tool must not act.
   */
  consumeApproval(scopeId: string, userId: string, tool: string, args: Record<string, unknown>): Promise<boolean> {
    return this.consents.consumeToken(scopeId, userId, actionHash(tool, args));
  }

  private async resume(request: ConsentRequest, decisions: ConsentDecision[]): Promise<ResumedContinuation | null> {
    const resumer = this.resumers.get(pausedKind(request));
    if (!resumer) throw new AppException(ErrorCode.ServiceUnavailable, `Nothing on this server resumes a paused ${pausedKind(request)}`);
    return resumer(request, decisions);
  }

  private notify(event: ConsentEvent): void {
    for (const observer of this.observers) {
      // Observers (notifications, metrics) never hold up or fail the decision itself.
      void Promise.resolve()
        .then(() => observer(event))
        .catch((error) => this.logger.warn({ err: error, consent_request_id: event.request.id }, 'Consent observer failed'));
    }
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
