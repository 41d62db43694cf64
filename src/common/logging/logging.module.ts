import { Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../../config/app-config';
import { isProbeRequest, PROBE_ROUTES } from '../http/probe-paths';
import { REDACT_PATHS, redactUrl } from './redact';

type Req = IncomingMessage & { id?: string; originalUrl?: string };

/** True for requests the access log skips (query strings ignored): logging them would bury the rest. */
export const isUnloggedRequest = isProbeRequest;

/** Structured JSON logs; every line of a request carries its `req.id` (the X-Request-Id). */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // Probes skip pino-http altogether: it builds two child loggers per request (the second
        // one serialising and redacting `req`) even for requests it never logs.
        exclude: PROBE_ROUTES,
        pinoHttp: {
          level: config.log.level,
          genReqId: (req: Req) => req.id ?? 'unknown',
          redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
          serializers: {
            req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
              id: req.id,
              method: req.method,
              url: redactUrl(req.url),
              remote_address: req.remoteAddress,
            }),
            res: (res: { statusCode: number }) => ({ status_code: res.statusCode }),
          },
          customLogLevel: (_req: Req, res: ServerResponse, error?: Error) =>
            error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
          customAttributeKeys: { reqId: 'request_id' },
          quietReqLogger: true,
          // Variants the exclusion does not cover (HEAD, a trailing slash) are still not logged.
          autoLogging: { ignore: (req: Req) => isUnloggedRequest(req.originalUrl ?? req.url ?? '') },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
