import type middy from '@middy/core';
import type { ClientLimiter, ClientLimitResult } from '../adapters/dynamo/client-limiter';
import { settings } from '../config';
import { RateLimitedError } from '../domain/errors';
import { clientLimitFor } from '../routes';
import type { HttpEvent } from './handler';
import type { HttpResult } from './responses';

/** Where the limit's verdict travels from this middleware to the security log, per request. */
const RATE_LIMIT = 'mdzRateLimit';

export function rateLimitOf(request: middy.Request): ClientLimitResult | undefined {
  return (request.internal as Record<string, ClientLimitResult | undefined>)[RATE_LIMIT];
}

/**
 * Counts the request against its route's per-client limit (the route table's `clientLimit`), keyed
 * on API Gateway's `requestContext.http.sourceIp` — never a client-set header such as
 * X-Forwarded-For — and refuses it with a 429 and Retry-After once the client is over. Runs last,
 * right before the handler, so a refused request changes nothing.
 */
export const clientLimit = (limiter: () => ClientLimiter): middy.MiddlewareObj<HttpEvent, HttpResult> => ({
  before: async (request) => {
    const routeLimit = clientLimitFor(request.event.routeKey);
    if (routeLimit === undefined) return;
    const limit = routeLimit.maxSetting === undefined ? routeLimit : { ...routeLimit, max: settings()[routeLimit.maxSetting] };
    const result = await limiter().hit(request.event.routeKey, request.event.requestContext.http.sourceIp, limit);
    (request.internal as Record<string, ClientLimitResult>)[RATE_LIMIT] = result;
    if (result.limited) {
      const minutes = Math.ceil(result.retryAfterSeconds / 60);
      throw new RateLimitedError(`Too many requests from your address. Try again in ${minutes <= 1 ? 'a minute' : `${String(minutes)} minutes`}.`, result.retryAfterSeconds);
    }
  },
});
