import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ChatModule } from '../chat/chat.module';
import { ConsentModule } from '../consent/consent.module';
import { ConnectionLimiter } from './connection-limiter';
import { RealtimeAuthMiddleware } from './realtime-auth.middleware';
import { RealtimeEmitter } from './realtime.emitter';
import { RealtimeGateway } from './realtime.gateway';

/** Socket.IO /assistant/realtime; other modules import it for RealtimeEmitter. */
@Module({
  imports: [AuthModule, ChatModule, ConsentModule],
  providers: [RealtimeGateway, RealtimeAuthMiddleware, RealtimeEmitter, ConnectionLimiter],
  exports: [RealtimeEmitter],
})
export class RealtimeModule {}
