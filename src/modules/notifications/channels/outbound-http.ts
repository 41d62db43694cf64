import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPrivate, publicUrlProblem } from '../../settings/public-url';

export interface OutboundOptions {
  timeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE: http and private addresses allowed (tests). */
  allowPrivate: boolean;
  /** Production: https whatever WEBHOOK_ALLOW_PRIVATE says. */
  httpsOnly: boolean;
}

/** A delivery that failed; `permanent` ones are not retried (a retry would fail the same way). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/**
 * Resolves like the default lookup, but refuses a host that resolves to a private address, at
 * connect time: a check before the request alone could be passed by DNS rebinding.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const blocked = addresses.find((entry) => isPrivate(entry.address));
    if (blocked || addresses.length === 0) return callback(new DeliveryError('the host resolves to a private address', true), '', 0);
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

/**
 * POSTs JSON to a user-supplied URL: https to public addresses only (unless allowed), no
 * redirects followed, bounded by a timeout. Resolves on 2xx; a 4xx other than 408 and 429 is
 * permanent, anything else may be retried.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, options: OutboundOptions): Promise<number> {
  // Literal addresses are judged here; host names again at connect time (publicOnlyLookup).
  const problem = await publicUrlProblem(url, options.allowPrivate);
  if (problem) throw new DeliveryError(`the URL ${problem}`, true);
  const target = new URL(url);
  if (options.httpsOnly && target.protocol !== 'https:') throw new DeliveryError('the URL must be an https URL', true);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body).toString(), 'user-agent': 'agent-backend-notifications', ...headers },
    signal: AbortSignal.timeout(options.timeoutMs),
    ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
  };
  const status = await new Promise<number>((resolve, reject) => {
    const req = send(target, requestOptions, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', (error) => reject(error instanceof DeliveryError ? error : new DeliveryError(`${error.name}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
    req.end(body);
  });
  if (status >= 200 && status < 300) return status;
  // A redirect is not followed: the receiver must be configured with its final URL.
  const permanent = status >= 300 && status < 500 && status !== 408 && status !== 429;
  throw new DeliveryError(`HTTP ${status}`, permanent);
}
