import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import type { ConsentEvent } from '../consent/consent-hooks';
import { ConsentService } from '../consent/consent.service';
import { RunNotifier } from '../runs/run-notifier';
import type { Run } from '../runs/run.entity';
import { SettingsService } from '../settings/settings.service';
import { NotificationChannels } from './channels/channels';
import { DeliveryError } from './channels/outbound-http';
import { ConsentLinksService } from './consent-links.service';
import type { NotificationChannel, NotificationKind } from './notification-delivery.entity';
import { consentContent, NotificationContent, runContent, RunSummary } from './notification-messages';
import { NotificationJobData, NotificationQueue } from './notification-queue';
import { NotificationsRepository } from './notifications.repository';

/**
 * Tells people outside the app what their agents need and did: consent requests (with
 * approve/reject links, a reminder before expiry, and the expiry), and finished runs, through
 * the channels in their settings. Every notification is a queued delivery per channel, retried
 * with backoff and recorded; nothing here can hold up or fail the agent.
 */
@Injectable()
export class NotificationsService implements OnModuleInit {
  private readonly logger = new Logger(NotificationsService.name);

  constructor(
    private readonly consents: ConsentService,
    private readonly runs: RunNotifier,
    private readonly queue: NotificationQueue,
    private readonly deliveries: NotificationsRepository,
    private readonly settings: SettingsService,
    private readonly channels: NotificationChannels,
    private readonly links: ConsentLinksService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.consents.observe((event) => this.onConsent(event));
    this.runs.observe((run) => this.onRunEnded(run));
    this.queue.setHandler((job) => this.deliver(job));
  }

  async onConsent({ type, request }: ConsentEvent): Promise<void> {
    if (type === 'decided') return;
    const channels = await this.consentChannels(request.userId);
    if (channels.length === 0) return;
    if (type === 'expired') return this.enqueue(request.userId, 'consent_expired', channels, request.id);
    await this.enqueue(request.userId, 'consent_request', channels, request.id);
    const before = this.config.notifications.consentReminderBeforeSeconds;
    const remindAt = new Date(request.expiresAt.getTime() - before * 1000);
    // A reminder only when there is time between the request and it.
    if (before > 0 && remindAt.getTime() > Date.now() + 1000) await this.enqueue(request.userId, 'consent_reminder', channels, request.id, remindAt);
  }

  async onRunEnded(run: Run): Promise<void> {
    // A cancel is the user's own doing: nothing to tell them.
    if (run.status === 'cancelled') return;
    const notifications = (await this.settings.get(run.userId)).user_preferences.notifications;
    if (notifications?.run_completion !== true) return;
    const channels = notifications.consent_requests?.length ? notifications.consent_requests : (['email'] as NotificationChannel[]);
    const summary: RunSummary = {
      run_id: run.id,
      session_id: run.sessionId,
      status: run.status,
      task: run.task.slice(0, 500),
      summary: run.teamResult?.summary?.slice(0, 4000) ?? null,
      error: run.error,
      completed_at: run.completedAt?.toISOString() ?? null,
    };
    await this.enqueue(run.userId, 'run_completed', channels, run.id, undefined, summary);
  }

  /** The queue's handler: one attempt at one delivery. Throws to have pg-boss retry it later. */
  async deliver(job: Job<NotificationJobData>): Promise<void> {
    const data = job.data;
    const attempt = job.retryCount + 1;
    try {
      const content = await this.contentFor(data);
      if (!content) {
        await this.deliveries.markSkipped(data.delivery_id);
        return;
      }
      await this.channels.send(data.channel, data.user_id, data.delivery_id, content);
      await this.deliveries.recordAttempt(data.delivery_id, 'sent', null);
    } catch (error) {
      const permanent = (error instanceof DeliveryError && error.permanent) || (error instanceof AppException && error.code === ErrorCode.ResourceNotFound);
      const final = permanent || job.retryCount >= this.config.notifications.retryLimit;
      const reason = describe(error);
      await this.deliveries.recordAttempt(data.delivery_id, final ? 'failed' : 'retrying', reason);
      const context = { delivery_id: data.delivery_id, kind: data.kind, channel: data.channel, attempt, reason };
      this.logger.warn(context, final ? 'Notification could not be delivered' : 'Notification delivery failed; it will be retried');
      if (!final) throw error;
    }
  }

  /** What to send, or null when there is nothing to say any more (already decided). */
  private async contentFor(data: NotificationJobData): Promise<NotificationContent | null> {
    if (data.kind === 'run_completed') return runContent(data.run!);
    const request = await this.consents.get(data.subject_id, data.user_id);
    if (data.kind === 'consent_expired') return consentContent(data.kind, request, null);
    if (request.status !== 'pending' || request.expiresAt.getTime() <= Date.now()) return null;
    // Links are made at delivery, so their tokens exist nowhere but in the message (and as hashes).
    return consentContent(data.kind, request, await this.links.issue(request));
  }

  private async consentChannels(userId: string): Promise<NotificationChannel[]> {
    return (await this.settings.get(userId)).user_preferences.notifications?.consent_requests ?? [];
  }

  private async enqueue(userId: string, kind: NotificationKind, channels: NotificationChannel[], subjectId: string, startAfter?: Date, run?: RunSummary): Promise<void> {
    const rows = await this.deliveries.createDeliveries(channels.map((channel) => ({ userId, kind, channel, subjectId })));
    for (const row of rows) {
      const data: NotificationJobData = { delivery_id: row.id, kind, channel: row.channel, user_id: userId, subject_id: subjectId, ...(run && { run }) };
      await this.queue.send(data, startAfter).catch(async (error: unknown) => {
        this.logger.error({ err: error, delivery_id: row.id, kind }, 'Notification could not be queued');
        await this.deliveries.recordAttempt(row.id, 'failed', 'could not be queued');
      });
    }
  }
}

/** A failure as recorded and logged: our own wording, or an error's name and code (never a body or URL). */
function describe(error: unknown): string {
  if (error instanceof DeliveryError || error instanceof AppException) return error.message;
  const { name, code, responseCode } = (error ?? {}) as { name?: string; code?: string; responseCode?: number };
  return [name ?? 'Error', code, responseCode].filter(Boolean).join(' ');
}
