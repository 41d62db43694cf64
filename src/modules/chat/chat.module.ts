import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentModule } from '../agent/agent.module';
import { ConsentModule } from '../consent/consent.module';
import { FilesModule } from '../files/files.module';
import { SettingsModule } from '../settings/settings.module';
import { ChatController } from './chat.controller';
import { Conversation } from './conversation.entity';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { MessageEventsRepository } from './message-events.repository';
import { Message } from './message.entity';
import { MessagesRepository } from './messages.repository';
import { RepliesService } from './replies.service';
import { ReplyProgressRepository } from './reply-progress.repository';
import { ReplyReplay } from './reply-replay';
import { ReplyRunner } from './reply-runner';
import { ReplyStartRepository } from './reply-start.repository';
import { ReplyStreams } from './reply-streams';

@Module({
  imports: [TypeOrmModule.forFeature([Conversation, Message]), AgentModule, ConsentModule, FilesModule, SettingsModule],
  controllers: [ChatController],
  providers: [
    ConversationsService,
    RepliesService,
    ReplyReplay,
    ReplyRunner,
    ReplyStreams,
    ConversationsRepository,
    MessagesRepository,
    MessageEventsRepository,
    ReplyProgressRepository,
    ReplyStartRepository,
  ],
  exports: [ConversationsService, RepliesService, ReplyReplay, ReplyStreams],
})
export class ChatModule {}
