import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsentModule } from '../consent/consent.module';
import { MailModule } from '../mail/mail.module';
import { RunsModule } from '../runs/runs.module';
import { SettingsModule } from '../settings/settings.module';
import { UsersModule } from '../users/users.module';
import { NotificationChannels } from './channels/channels';
import { ConsentLink } from './consent-link.entity';
import { ConsentLinksController } from './consent-links.controller';
import { ConsentLinksService } from './consent-links.service';
import { NotificationDelivery } from './notification-delivery.entity';
import { NotificationQueue } from './notification-queue';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';

/** Consent requests and finished runs told by email, Slack or a signed webhook (DESIGN.md 7, 7e). */
@Module({
  imports: [TypeOrmModule.forFeature([ConsentLink, NotificationDelivery]), ConsentModule, RunsModule, SettingsModule, MailModule, UsersModule],
  controllers: [ConsentLinksController],
  providers: [NotificationsRepository, NotificationQueue, NotificationChannels, ConsentLinksService, NotificationsService],
})
export class NotificationsModule {}
