import { Module } from '@nestjs/common';
import { RateLimitModule } from '../../common/rate-limit/rate-limit.module';
import { AuthModule } from '../auth/auth.module';
import { ChatModule } from '../chat/chat.module';
import { ConsentModule } from '../consent/consent.module';
import { ChatPlainWs } from './chat.plain-ws';
import { ConnectionLimiter } from './connection-limiter';
import { PlainWsServer } from './plain-ws.server';
import { RealtimeAuthMiddleware } from './realtime-auth.middleware';
import { RealtimeEmitter } from './realtime.emitter';
import { RealtimeGateway } from './realtime.gateway';
import { SocketRateLimitGuard } from './socket-rate-limit.guard';

/** Socket.IO /assistant/realtime and the plain WebSocket server (/ws/chat, /api/ws); other modules import it for RealtimeEmitter (and the per-user event budget). */
@Module({
  imports: [AuthModule, ChatModule, ConsentModule, RateLimitModule],
  providers: [RealtimeGateway, RealtimeAuthMiddleware, RealtimeEmitter, ConnectionLimiter, SocketRateLimitGuard, PlainWsServer, ChatPlainWs],
  exports: [RealtimeEmitter, SocketRateLimitGuard, PlainWsServer],
})
export class RealtimeModule {}
