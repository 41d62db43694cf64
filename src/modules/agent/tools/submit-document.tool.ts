import { Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { AppConfig } from '../../../config/app-config';
import { ConsentService } from '../../consent/consent.service';
import type { AgentTool, ToolContext } from './agent-tool';
import { gatedTool } from './gated-tool';

const WEBHOOK_TIMEOUT_MS = 10_000;
const schema = z.object({ title: z.string().min(1).max(200), content: z.string().min(1).max(20_000) });

/**
 * Sends a document to the configured SUBMIT_WEBHOOK_URL — never to a URL the model chose.
 * Sensitive: the agent pauses for consent, and the tool redeems the decision's single-use
 * token for exactly this call before acting, so a replayed resume cannot submit twice.
 */
@Injectable()
export class SubmitDocumentTool implements AgentTool {
  readonly name = 'submit_document';
  readonly sensitive = true;
  readonly consentDescription = 'Submit a document to the external document service';
  private readonly logger = new Logger(SubmitDocumentTool.name);

  constructor(
    private readonly config: AppConfig,
    private readonly consents: ConsentService,
  ) {}

  build() {
    return gatedTool(
      this.consents,
      {
        name: this.name,
        description: 'Submits a document (title and content) to the organisation’s document service. Requires the user’s approval.',
        schema,
        refusal: 'Not submitted: there is no unused approval for exactly this document.',
      },
      (args, context) => this.submit(args, context),
    );
  }

  private async submit(args: z.infer<typeof schema>, { userId, conversationId }: ToolContext): Promise<string> {
    const url = this.config.submitWebhookUrl;
    if (!url) return 'Approved, but not submitted: SUBMIT_WEBHOOK_URL is not configured on this server.';
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...args, user_id: userId, conversation_id: conversationId }),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      // Only the configured URL may receive the document: a redirect could send it anywhere.
      redirect: 'manual',
    });
    this.logger.log({ user_id: userId, conversation_id: conversationId, status: response.status }, 'Document submitted');
    if (response.status >= 300 && response.status < 400) {
      return `Not submitted: the document service answered with a redirect (HTTP ${response.status}), which is not followed.`;
    }
    if (!response.ok) return `The document service refused the submission (HTTP ${response.status}).`;
    return `Submitted "${args.title}" (HTTP ${response.status}).`;
  }
}
