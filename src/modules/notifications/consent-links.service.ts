import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { hashToken } from '../auth/tokens.service';
import type { ConsentRequest } from '../consent/consent-request.entity';
import { ConsentService } from '../consent/consent.service';
import type { ConsentLink } from './consent-link.entity';
import type { DecisionLinks } from './notification-messages';
import { NotificationsRepository } from './notifications.repository';

export interface LinkedRequest {
  link: ConsentLink;
  request: ConsentRequest;
}

/**
 * Single-use approve/reject links of a consent request, for people deciding outside the app.
 * A link decides in its owner's name through ConsentService.decide: the same conditional
 * decision as the app, so a link and the app (or two links) cannot both win.
 */
@Injectable()
export class ConsentLinksService {
  constructor(
    private readonly links: NotificationsRepository,
    private readonly consents: ConsentService,
    private readonly config: AppConfig,
  ) {}

  /** A fresh approve and reject link for this request, valid until it expires. */
  async issue(request: ConsentRequest): Promise<DecisionLinks> {
    const approve = randomBytes(32).toString('base64url');
    const reject = randomBytes(32).toString('base64url');
    const common = { consentRequestId: request.id, userId: request.userId, expiresAt: request.expiresAt };
    await this.links.insertLinks([
      { ...common, decision: 'approve', tokenHash: hashToken(approve) },
      { ...common, decision: 'reject', tokenHash: hashToken(reject) },
    ]);
    const base = `${this.config.notifications.linkBaseUrl}/api/v1/consents/${request.id}/decide?token=`;
    return { approve: base + approve, reject: base + reject };
  }

  /** The link and its request; a token of another request, or none at all, is not found. */
  async find(consentRequestId: string, token: string | undefined): Promise<LinkedRequest> {
    const link = token && token.length <= 128 ? await this.links.findLink(consentRequestId, hashToken(token)) : null;
    if (!link) throw AppException.notFound('Consent link');
    return { link, request: await this.consents.get(consentRequestId, link.userId) };
  }

  /** Takes the link's decision once; a spent link or a decided request is a CONFLICT. */
  async decide(consentRequestId: string, token: string | undefined): Promise<LinkedRequest> {
    const { link, request } = await this.find(consentRequestId, token);
    const problem = stateProblem(link, request);
    if (problem) throw new AppException(ErrorCode.Conflict, problem);
    if (!(await this.links.claimLink(link.id))) throw new AppException(ErrorCode.Conflict, 'This link was already used');
    try {
      const decided = await this.consents.decide(link.userId, { consent_request_id: consentRequestId, approved: link.decision === 'approve' });
      return { link, request: decided.request };
    } catch (error) {
      // A CONFLICT means someone else decided first; otherwise give the link back (a decided request refuses it anyway).
      if (!(error instanceof AppException && error.code === ErrorCode.Conflict)) await this.links.releaseLink(link.id);
      throw error;
    }
  }
}

/** Why this link cannot decide any more, or undefined when it can. */
export function stateProblem(link: ConsentLink, request: ConsentRequest): string | undefined {
  if (request.status !== 'pending') return `This consent request was already decided: ${request.status}`;
  if (link.usedAt) return 'This link was already used';
  if (link.expiresAt.getTime() <= Date.now() || request.expiresAt.getTime() <= Date.now()) return 'This consent request has expired';
  return undefined;
}
