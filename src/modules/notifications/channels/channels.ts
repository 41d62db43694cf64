import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { AppConfig } from '../../../config/app-config';
import { MailService } from '../../mail/mail.service';
import { SettingsService } from '../../settings/settings.service';
import { UsersRepository } from '../../users/users.repository';
import type { NotificationChannel } from '../notification-delivery.entity';
import type { NotificationContent } from '../notification-messages';
import { DeliveryError, postJson } from './outbound-http';

/** `X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` (DESIGN.md 7e). */
export function signWebhook(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/**
 * Sends one notification through one channel of its user: email (to a verified address), Slack
 * (incoming webhook, URL stored sealed) or the user's signed webhook. Throws DeliveryError.
 */
@Injectable()
export class NotificationChannels {
  constructor(
    private readonly mail: MailService,
    private readonly users: UsersRepository,
    private readonly settings: SettingsService,
    private readonly config: AppConfig,
  ) {}

  async send(channel: NotificationChannel, userId: string, deliveryId: string, content: NotificationContent): Promise<void> {
    if (channel === 'email') return this.email(userId, content);
    if (channel === 'slack') return this.slack(userId, content);
    return this.webhook(userId, deliveryId, content);
  }

  private async email(userId: string, content: NotificationContent): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user || user.disabled) throw new DeliveryError('the account is gone or disabled', true);
    // Approval links go only to an address the user proved is theirs.
    if (!user.emailVerified) throw new DeliveryError('the email address is not verified', true);
    await this.mail.send({ to: user.email, subject: content.subject, text: content.lines.join('\n'), link: content.links?.approve });
  }

  private async slack(userId: string, content: NotificationContent): Promise<void> {
    const url = await this.settings.secret(userId, 'slack.webhook_url');
    if (!url) throw new DeliveryError('no Slack webhook URL is set', true);
    const lines = content.lines.filter((line) => !/^(Approve|Reject): /.test(line));
    const links = content.links ? [`<${content.links.approve}|Approve>  ·  <${content.links.reject}|Reject>`] : [];
    const text = [`*${escapeSlack(content.subject)}*`, ...lines.map(escapeSlack), ...links].join('\n');
    await postJson(url, JSON.stringify({ text }), {}, this.outbound);
  }

  private async webhook(userId: string, deliveryId: string, content: NotificationContent): Promise<void> {
    const [settings, secret] = await Promise.all([this.settings.get(userId), this.settings.secret(userId, 'webhook.secret')]);
    const url = settings.integrations.webhook.url;
    if (!url) throw new DeliveryError('no webhook URL is set', true);
    if (!secret) throw new DeliveryError('no webhook secret is set: the receiver could not verify the call', true);
    const body = JSON.stringify({ id: deliveryId, type: content.kind, created_at: new Date().toISOString(), data: content.data });
    await postJson(url, body, { 'x-signature': signWebhook(secret, body), 'x-notification-id': deliveryId }, this.outbound);
  }

  private get outbound() {
    return { timeoutMs: this.config.notifications.httpTimeoutMs, allowPrivate: this.config.webhookAllowPrivate, httpsOnly: this.config.isProduction };
  }
}

/** Slack's mrkdwn treats &, < and > as markup. */
const escapeSlack = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
