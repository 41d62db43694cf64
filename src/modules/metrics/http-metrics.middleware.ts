import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isProbeRequest } from '../../common/http/probe-paths';
import { AppMetrics } from './app-metrics';

/**
 * Times every request except probes and scrapes (a timer and a close listener each, for series
 * nobody reads), and labels it by the matched route's template (`/api/v1/chat/
 * conversations/:id`), never the raw path, so ids cannot explode the series count.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: AppMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (isProbeRequest(req.originalUrl)) return next();
    const end = this.metrics.httpDuration.startTimer();
    res.once('close', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      end({
        http_request_method: req.method,
        http_route: typeof route === 'string' ? route : 'unmatched',
        http_response_status_code: res.statusCode,
      });
    });
    next();
  }
}
