import { RequestMethod } from '@nestjs/common';

/** Liveness/readiness probes and Prometheus scrapes: every few seconds per instance, never interesting. */
const PROBE_PATHS = new Set(['/api/live', '/api/ready', '/metrics']);

/** The same routes as Nest route infos (global prefix and version added by Nest), for `exclude()`. */
export const PROBE_ROUTES: Array<{ path: string; method: RequestMethod }> = [
  { path: 'live', method: RequestMethod.GET },
  { path: 'ready', method: RequestMethod.GET },
  { path: 'metrics', method: RequestMethod.GET },
];

/** True for a probe or scrape (query string ignored). Cheap: one indexOf and one Set lookup. */
export function isProbeRequest(url: string): boolean {
  const query = url.indexOf('?');
  return PROBE_PATHS.has(query === -1 ? url : url.slice(0, query));
}
