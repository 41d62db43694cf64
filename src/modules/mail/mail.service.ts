import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { AppConfig } from '../../config/app-config';

const SHUTDOWN_WAIT_MS = 3000;

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** The mail's action link; the development log line shows it so flows work without SMTP. */
  link?: string;
}

/**
 * Sends mail over SMTP_URL. Without it (development and tests; production refuses to start when
 * local registration needs mail), each mail becomes one `DEV MAIL` log line.
 * `dispatch` sends in the background, so a slow or failing mail server never shapes a response
 * (password reset must answer alike for known and unknown addresses); sends still in flight
 * finish before shutdown. A job queue can later take `dispatch`'s place.
 */
@Injectable()
export class MailService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly transport?: Transporter;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly config: AppConfig) {
    const url = config.mail.smtpUrl;
    // Timeouts well below nodemailer's two-minute defaults: a dead server must not pile up sends.
    if (url) this.transport = createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  }

  /** Sends now; rejects when the SMTP server refuses or cannot be reached. */
  async send(message: MailMessage): Promise<void> {
    if (!this.transport) {
      if (this.config.isProduction) {
        this.logger.warn({ subject: message.subject }, 'Mail not sent: SMTP_URL is not configured');
        return;
      }
      // The documented exception to "no tokens in logs": development without SMTP only.
      this.logger.log(
        { dev_mail: true, to: message.to, subject: message.subject, link: message.link ?? null },
        `DEV MAIL (SMTP_URL unset, not sent) to ${message.to}: ${message.subject}${message.link ? ` ${message.link}` : ''}`,
      );
      return;
    }
    await this.transport.sendMail({ from: this.config.mail.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
  }

  /** Sends in the background; a failure is logged (without the body, which may hold a link). */
  dispatch(message: MailMessage): void {
    const sending = this.send(message)
      .catch((error: unknown) => {
        this.logger.error({ err: { name: (error as Error)?.name, code: (error as { code?: unknown })?.code }, subject: message.subject }, 'Mail could not be sent');
      })
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  /** Lets background work (token inserts, sends) finish before shutdown, within a bound. */
  track(work: Promise<unknown>): void {
    const tracked = work
      .then(() => undefined)
      .catch((error: unknown) => this.logger.error({ err: error }, 'Background mail work failed'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Bounded: an unreachable database or mail server must not hold up SIGTERM (what is cut off is logged as failed).
    const deadline = Date.now() + SHUTDOWN_WAIT_MS;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((resolve) => (timer = setTimeout(resolve, deadline - Date.now())));
      await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
      clearTimeout(timer);
    }
    if (this.inFlight.size > 0) this.logger.warn({ pending: this.inFlight.size }, 'Shutting down with mail still being sent');
    this.transport?.close();
  }
}
