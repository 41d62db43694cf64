import type { Response } from 'express';
import type { ConsentRequest } from '../consent/consent-request.entity';
import type { LinkDecision } from './consent-link.entity';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escape(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
pre{background:#f4f4f4;padding:.75rem;overflow:auto;white-space:pre-wrap}button{font-size:1rem;padding:.6rem 1.4rem;cursor:pointer}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;

/**
 * Sends an HTML page that must not be cached (it came from a single-use link), framed, or leak
 * its URL (the token) through Referer; no scripts at all.
 */
export function sendPage(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    })
    .send(layout(title, body));
}

/** The confirmation step: what the agent wants, and one button that POSTs the decision. */
export function confirmationBody(request: ConsentRequest, decision: LinkDecision, token: string): string {
  const actions = request.actions
    .map((action) => `<h2>${escape(action.tool)}</h2><p>${escape(action.description)}</p><pre>${escape(JSON.stringify(action.arguments, null, 2))}</pre>`)
    .join('');
  const verb = decision === 'approve' ? 'Approve' : 'Reject';
  return `<p>The agent is waiting for your decision. Nothing happens until you press the button.</p>${actions}
<p>This request expires at ${escape(request.expiresAt.toISOString())}.</p>
<form method="post" action="decide?token=${encodeURIComponent(token)}"><button type="submit">${verb}</button></form>`;
}

export const messageBody = (text: string) => `<p>${escape(text)}</p>`;
