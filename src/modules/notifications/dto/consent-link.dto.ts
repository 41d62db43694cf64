import type { ConsentStatus } from '../../consent/consent-request.entity';
import type { ConsentRequest } from '../../consent/consent-request.entity';

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
