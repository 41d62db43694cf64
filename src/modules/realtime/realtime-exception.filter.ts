import { ArgumentsHost, Catch, Logger, WsExceptionFilter } from '@nestjs/common';
import { normalizeError } from '../../common/errors/error-body';
import type { Ack } from './realtime.events';

const logger = new Logger('SocketError');

/** The socket counterpart of the HTTP filter: anything a handler throws becomes `{ok: false, error}` in its ack. */
@Catch()
export class RealtimeExceptionFilter implements WsExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const { exception, unexpected } = normalizeError(error);
    const ws = host.switchToWs();
    const client = ws.getClient<{ id?: string; data?: { user?: { id: string } } }>();
    if (unexpected) logger.error({ err: error, socket_id: client?.id, user_id: client?.data?.user?.id, event: ws.getPattern() }, 'Unhandled socket error');
    const ack = host.getArgByIndex<unknown>(2);
    const body: Ack = { ok: false, error: { code: exception.code, message: exception.message, ...(exception.details && { details: exception.details }) } };
    if (typeof ack === 'function') (ack as (result: Ack) => void)(body);
  }
}
