import type { ConsentAction, ConsentRequest, ConsentStatus } from '../../consent/consent-request.entity';
import type { LinkDecision } from '../consent-link.entity';

/** The outcome of a decision taken through an emailed (or Slack, or webhook) link. */
export class ConsentLinkDecisionDto {
  consent_request_id: string;
  status: ConsentStatus;
  message: string;
}

export function mapLinkDecision(request: ConsentRequest): ConsentLinkDecisionDto {
  return {
    consent_request_id: request.id,
    status: request.status,
    message: request.status === 'rejected' ? 'Consent rejected. The agent continues without the action.' : 'Consent approved. The agent continues.',
  };
}

/** What an approve or reject link would decide (GET of the link, for clients that are not browsers). */
export class ConsentLinkViewDto {
  consent_request_id: string;
  /** What this link decides when POSTed. */
  decision: LinkDecision;
  status: ConsentStatus;
  actions: ConsentAction[];
  expires_at: string;
}

export function mapLinkView(request: ConsentRequest, decision: LinkDecision): ConsentLinkViewDto {
  return { consent_request_id: request.id, decision, status: request.status, actions: request.actions, expires_at: request.expiresAt.toISOString() };
}
