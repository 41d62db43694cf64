import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentModule } from '../agent/agent.module';
import { ConsentModule } from '../consent/consent.module';
import { FilesModule } from '../files/files.module';
import { SettingsModule } from '../settings/settings.module';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { Conversation } from './conversation.entity';
import { MessageEventsRepository } from './message-events.repository';
import { Message } from './message.entity';
import { MessagesRepository } from './messages.repository';
import { ReplyProgressRepository } from './reply-progress.repository';
import { ReplyRunner } from './reply-runner';
import { ReplyStreams } from './reply-streams';
import { ConversationsRepository } from './conversations.repository';

@Module({
  imports: [TypeOrmModule.forFeature([Conversation, Message]), AgentModule, ConsentModule, FilesModule, SettingsModule],
  controllers: [ChatController],
  providers: [ChatService, ReplyRunner, ReplyStreams, ConversationsRepository, MessagesRepository, MessageEventsRepository, ReplyProgressRepository],
  exports: [ChatService, ReplyStreams],
})
export class ChatModule {}
