import type { NextFunction, Request, Response } from 'express';

/** The liveness answer, in the Terminus shape the other probes use. */
export const LIVE_BODY = { status: 'ok', info: {}, error: {}, details: {} } as const;

const LIVE_PATH = '/api/live';
const LIVE_JSON = Buffer.from(JSON.stringify(LIVE_BODY));

/**
 * Answers `GET /api/live` from Express, right after the request id, helmet and CORS: the probe
 * needs no body parser, guard, interceptor, access-log line or ETag, and a kubelet asks every
 * few seconds per pod. HealthController.live keeps the route in the spec (and answers variants
 * such as a trailing slash).
 */
export function liveProbe(req: Request, res: Response, next: NextFunction): void {
  if (req.path !== LIVE_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', LIVE_JSON.length);
  res.end(LIVE_JSON);
}
