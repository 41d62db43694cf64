import type { ConsentRequest } from '../consent/consent-request.entity';
import { mapConsentRequest } from '../consent/dto/consent.dto';
import type { NotificationKind } from './notification-delivery.entity';

/** A run's ending as the notification tells it (copied into the job: the run may be deleted). */
export interface RunSummary {
  run_id: string;
  session_id: string;
  status: string;
  task: string;
  summary: string | null;
  error: { code: string; message: string } | null;
  completed_at: string | null;
}

export interface DecisionLinks {
  approve: string;
  reject: string;
}

/** What every channel says: a subject and text for people, the JSON for webhooks. */
export interface NotificationContent {
  kind: NotificationKind;
  subject: string;
  /** Plain text lines; links are whole lines so mail clients and Slack make them clickable. */
  lines: string[];
  links: DecisionLinks | null;
  data: Record<string, unknown>;
}

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function consentContent(kind: Exclude<NotificationKind, 'run_completed'>, request: ConsentRequest, links: DecisionLinks | null): NotificationContent {
  const tools = request.actions.map((action) => action.tool).join(', ');
  const subject = {
    consent_request: `Approval needed: ${tools}`,
    consent_reminder: `Reminder: approval needed for ${tools}`,
    consent_expired: `Consent request expired: ${tools}`,
  }[kind];
  const lines = request.actions.map((action) => `- ${action.tool}: ${shorten(action.description, 300)} ${shorten(JSON.stringify(action.arguments), 500)}`);
  const intro =
    kind === 'consent_expired'
      ? 'Nobody decided in time, so the agent continued without these actions:'
      : `The agent is waiting for your decision on ${request.actions.length === 1 ? 'this action' : 'these actions'}:`;
  const outro = links
    ? ['', `Approve: ${links.approve}`, '', `Reject: ${links.reject}`, '', `Each link works once; the request expires at ${request.expiresAt.toISOString()}.`]
    : [];
  return {
    kind,
    subject,
    lines: [intro, ...lines, ...outro],
    links,
    data: { consent_request: mapConsentRequest(request), ...(links && { approve_url: links.approve, reject_url: links.reject }) },
  };
}

export function runContent(run: RunSummary): NotificationContent {
  const task = shorten(run.task.replace(/\s+/g, ' '), 120);
  const lines = [`Task: ${task}`, `Status: ${run.status}`];
  if (run.summary) lines.push('', shorten(run.summary, 2000));
  if (run.error) lines.push('', `Error: ${run.error.message}`);
  return { kind: 'run_completed', subject: `Run ${run.status}: ${task}`, lines, links: null, data: { run } };
}
