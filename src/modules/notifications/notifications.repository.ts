import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ConsentLink, LinkDecision } from './consent-link.entity';
import { DeliveryStatus, NotificationChannel, NotificationDelivery, NotificationKind } from './notification-delivery.entity';

/** Every query of consent links and delivery records. */
@Injectable()
export class NotificationsRepository {
  constructor(
    @InjectRepository(ConsentLink) private readonly links: Repository<ConsentLink>,
    @InjectRepository(NotificationDelivery) private readonly deliveries: Repository<NotificationDelivery>,
  ) {}

  async insertLinks(links: Array<{ consentRequestId: string; userId: string; decision: LinkDecision; tokenHash: string; expiresAt: Date }>): Promise<void> {
    await this.links.insert(links);
  }

  /** The link with this token hash, only if it belongs to this consent request. */
  findLink(consentRequestId: string, tokenHash: string): Promise<ConsentLink | null> {
    return this.links.findOneBy({ consentRequestId, tokenHash });
  }

  /** Spends the link: true for exactly one caller, while it is unused and unexpired. */
  async claimLink(id: string): Promise<boolean> {
    const result = await this.links
      .createQueryBuilder()
      .update()
      .set({ usedAt: () => 'now()' })
      .where('id = :id AND used_at IS NULL AND expires_at > now()', { id })
      .execute();
    return result.affected === 1;
  }

  /** Gives a claimed link back when the decision could not be taken (nothing was decided). */
  async releaseLink(id: string): Promise<void> {
    await this.links.update({ id }, { usedAt: null });
  }

  async createDeliveries(rows: Array<{ userId: string; kind: NotificationKind; channel: NotificationChannel; subjectId: string }>): Promise<NotificationDelivery[]> {
    if (rows.length === 0) return [];
    return this.deliveries.save(rows.map((row) => this.deliveries.create(row)));
  }

  async recordAttempt(id: string, status: DeliveryStatus, lastError: string | null): Promise<void> {
    await this.deliveries
      .createQueryBuilder()
      .update()
      .set({ status, lastError, attempts: () => 'attempts + 1' })
      .where('id = :id', { id })
      .execute();
  }

  async markSkipped(id: string): Promise<void> {
    await this.deliveries.update({ id }, { status: 'skipped' });
  }
}
