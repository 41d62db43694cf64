import { Injectable, Logger, Optional } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hashToken } from '../../common/crypto/hash-token';
import { SecretBox } from '../../common/crypto/secret-box';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { AppMetrics } from '../metrics/app-metrics';
import { actionHash, BoundAction } from './action-hash';
import { statusOf, toDecisions, willRun } from './consent-decisions';
import {
  ArgumentsValidator,
  ConsentEvent,
  ConsentGrant,
  ConsentObserver,
  ConsentResumer,
  PausedKind,
  pausedKind,
  ResumedContinuation,
} from './consent-hooks';
import { ConsentAction, ConsentDecision, ConsentRequest, ConsentStatus } from './consent-request.entity';
import { ConsentRepository, NewConsentToken } from './consent.repository';
import { DecideConsentDto } from './dto/consent.dto';

/** What a decision means for one action: whether it will run, and the token it runs with. */
export interface ActionOutcome {
  tool: string;
  tool_call_id: string | null;
  decision: ConsentDecision['type'];
  will_run: boolean;
  consent_token: string | null;
}

export interface DecidedConsent {
  request: ConsentRequest;
  /** Plain tokens of the actions that will run, in action order (only their hashes are stored). */
  tokens: string[];
  /** Per action, in order: the decision and whether the call will run. */
  outcomes: ActionOutcome[];
  /** The resumed reply or run, when it could be started here. */
  continuation: ResumedContinuation | null;
}

type OpenConsent = { userId: string; actions: ConsentAction[] } & ({ conversationId: string; messageId: string } | { runId: string });

const EXPIRED_REASON = 'The consent request expired without a decision.';
/** About 1.5 s in all: long enough for a reply or run to finish pausing. */
const DECIDE_RETRY_DELAYS_MS = [100, 200, 400, 800];
const sealContext = (request: { id: string; userId: string }) => `consent-token:${request.id}:${request.userId}`;

/**
 * The one owner of consent: opens requests (and their expiry), decides them (first decider
 * wins), issues and redeems single-use tokens, expires unanswered ones, resumes lost resumes,
 * and hands each outcome to the resumer of what paused. Nothing else touches the tables.
 */
@Injectable()
export class ConsentService {
  private readonly logger = new Logger(ConsentService.name);
  private readonly resumers = new Map<PausedKind, ConsentResumer>();
  private readonly observers: ConsentObserver[] = [];
  private validator?: ArgumentsValidator;

  constructor(
    private readonly consents: ConsentRepository,
    private readonly config: AppConfig,
    private readonly secrets: SecretBox,
    @Optional() private readonly metrics?: AppMetrics,
  ) {}

  registerResumer(kind: PausedKind, resumer: ConsentResumer): void {
    this.resumers.set(kind, resumer);
  }

  /** The agent module (which owns the tools and their schemas) checks edited arguments. */
  registerArgumentsValidator(validator: ArgumentsValidator): void {
    this.validator = validator;
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

  findPendingForRun(runId: string, userId: string): Promise<ConsentRequest | null> {
    return this.consents.findPendingForRun(runId, userId);
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
   * Records the person's decision with one single-use token per call that will run (one
   * transaction, one conditional UPDATE: the first decider wins, a replay gets CONFLICT), then
   * resumes what paused. Edited arguments that do not fit the tool are refused (422) first.
   */
  async decide(userId: string, dto: DecideConsentDto): Promise<DecidedConsent> {
    const request = await this.get(dto.consent_request_id, userId);
    if (request.status !== 'pending') {
      throw new AppException(ErrorCode.Conflict, `This consent request is already ${request.status}`);
    }
    const decisions = toDecisions(request, dto, this.validator);
    const status = statusOf(decisions);
    const reason = dto.reason ?? decisions.find((decision) => decision.reason)?.reason ?? null;
    const running = willRun(decisions);
    const plain = decisions.map((_, index) => (running[index] ? randomBytes(24).toString('base64url') : null));
    const tokens: NewConsentToken[] = [];
    decisions.forEach((decision, index) => {
      const token = plain[index];
      if (!token) return;
      const toolCallId = request.actions[index].tool_call_id ?? null;
      tokens.push({
        userId,
        // Tokens are scoped to what paused: the conversation, or the run.
        conversationId: (request.conversationId ?? request.runId)!,
        tokenHash: hashToken(token),
        tokenSealed: this.secrets.seal(token, sealContext(request)),
        actionHash: actionHash({ consentRequestId: request.id, toolCallId, tool: decision.tool, args: decision.arguments ?? {} }),
        toolCallId,
        // The token expires with the request it answers.
        expiresAt: request.expiresAt,
      });
    });

    const decided = await this.consents.decide(request.id, userId, { status, decisions, reason, decidedBy: userId }, tokens);
    if (!decided) throw new AppException(ErrorCode.Conflict, 'This consent request was already decided or has expired');
    this.metrics?.consentDecisions.inc({ outcome: status });
    this.notify({ type: 'decided', request: decided });

    const outcomes: ActionOutcome[] = decisions.map((decision, index) => ({
      tool: decision.tool,
      tool_call_id: request.actions[index].tool_call_id ?? null,
      decision: decision.type,
      will_run: running[index],
      consent_token: plain[index],
    }));
    const grants = outcomes.flatMap((outcome): ConsentGrant[] =>
      outcome.consent_token ? [{ consent_request_id: request.id, tool_call_id: outcome.tool_call_id, tool: outcome.tool, token: outcome.consent_token }] : [],
    );
    const continuation = await this.resume(decided, decisions, grants, DECIDE_RETRY_DELAYS_MS);
    return { request: decided, tokens: plain.filter((token): token is string => token !== null), outcomes, continuation };
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
      await this.resume(request, expiredDecisions(request), []);
    }
    return expired.length;
  }

  /**
   * Resumes decided requests whose resume never started (the deciding instance died between
   * the decision and the continuation, or the resumer could not start then), once each,
   * after CONSENT_RESUME_GRACE. The resumers are idempotent. Returns how many were taken.
   */
  async resumeLost(limit: number): Promise<number> {
    const lost = await this.consents.claimUnresumed(this.config.chat.consentResumeGraceSeconds, limit);
    for (const request of lost) {
      this.logger.warn({ consent_request_id: request.id, status: request.status }, 'Resuming a decision whose resume was lost');
      const decisions = request.status === 'expired' || !request.decisions ? expiredDecisions(request) : request.decisions;
      await this.resume(request, decisions, await this.grantsFor(request.id, request.userId));
    }
    return lost.length;
  }

  /** The unused tokens of a decided request, opened for the run that resumes it (runs, sweep). */
  async grantsFor(consentRequestId: string, userId: string): Promise<ConsentGrant[]> {
    const request = await this.consents.findOwned(consentRequestId, userId);
    if (!request) return [];
    const tokens = await this.consents.unusedTokens(consentRequestId, userId);
    return tokens.flatMap((token) => {
      const index = request.actions.findIndex((action) => (action.tool_call_id ?? null) === token.toolCallId);
      const tool = request.decisions?.[index]?.tool ?? request.actions[index]?.tool;
      if (!token.tokenSealed || !tool) return [];
      return [{ consent_request_id: consentRequestId, tool_call_id: token.toolCallId, tool, token: this.secrets.open(token.tokenSealed, sealContext(request)) }];
    });
  }

  /**
   * Spends `token` for exactly this tool call: it must be the token issued by the decision on
   * this request, for this tool call id, tool and final arguments, unused and unexpired. False
   * otherwise: the tool must not act.
   */
  consumeApproval(userId: string, token: string, action: BoundAction): Promise<boolean> {
    return this.consents.redeemToken(hashToken(token), userId, actionHash(action));
  }

  /**
   * Hands the outcome to what paused; marks the request resumed once its continuation started.
   * `retryDelaysMs`: a decision taken the moment the request appeared can find the paused reply
   * or run still finishing its pause; a few quick retries spare it the sweep's grace period.
   */
  private async resume(request: ConsentRequest, decisions: ConsentDecision[], grants: ConsentGrant[], retryDelaysMs: number[] = []): Promise<ResumedContinuation | null> {
    const kind = pausedKind(request);
    const resumer = this.resumers.get(kind);
    for (let attempt = 0; ; attempt++) {
      try {
        if (!resumer) throw new AppException(ErrorCode.ServiceUnavailable, `Nothing on this server resumes a paused ${kind}`);
        const continuation = await resumer(request, decisions, grants);
        await this.consents.markResumed(request.id);
        return continuation;
      } catch (error) {
        if (resumer && attempt < retryDelaysMs.length) {
          await new Promise((resolve) => setTimeout(resolve, retryDelaysMs[attempt]));
          continue;
        }
        // The decision stands; the expiry sweep resumes it after CONSENT_RESUME_GRACE.
        this.logger.error({ err: error, consent_request_id: request.id }, 'Resume after consent failed; the sweep retries it');
        return null;
      }
    }
  }

  private notify(event: ConsentEvent): void {
    for (const observer of this.observers) {
      // Observers (notifications, metrics) never hold up or fail the decision itself.
      void Promise.resolve()
        .then(() => observer(event))
        .catch((error) => this.logger.warn({ err: error, consent_request_id: event.request.id }, 'Consent observer failed'));
    }
  }
}

function expiredDecisions(request: ConsentRequest): ConsentDecision[] {
  return request.actions.map((action) => ({ type: 'reject', tool: action.tool, reason: EXPIRED_REASON }));
}
