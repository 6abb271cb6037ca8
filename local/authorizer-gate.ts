import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { operatorAuthorizer } from '../shared/routes';
import { invoke } from './lambda-runtime';

/**
 * API Gateway's Lambda-authorizer behaviour for HTTP APIs (simple responses), copied for the local
 * server: a missing identity header is a 401 without calling the authorizer; `isAuthorized: false`
 * is a 403; results are cached per identity value for the configured TTL; the authorizer's context
 * reaches the route's handler as `requestContext.authorizer.lambda`.
 *
 * The cache is bounded, so a flood of distinct wrong credentials cannot grow it without end: expired
 * entries are dropped on every check, and past `maxEntries` the oldest entry goes.
 */

/** Cached identities at most; a real operator needs one or two. */
export const AUTHORIZER_CACHE_MAX_ENTRIES = 1000;

const resultSchema = z.object({
  isAuthorized: z.boolean(),
  context: z.record(z.string(), z.unknown()).optional(),
});
type AuthorizerResult = z.infer<typeof resultSchema>;

export type GateOutcome = { status: 401 | 403 } | { context: Record<string, unknown> };

export class AuthorizerGate {
  /** In insertion order, which is also expiry order (one TTL for all): the first entry is the oldest. */
  private readonly cache = new Map<string, { result: AuthorizerResult; until: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries: number = AUTHORIZER_CACHE_MAX_ENTRIES,
  ) {}

  /** How many identities are cached now (expired ones included until the next check). */
  get size(): number {
    return this.cache.size;
  }

  async check(event: APIGatewayProxyEventV2): Promise<GateOutcome> {
    this.evictExpired(this.now());
    const identity = event.headers[operatorAuthorizer.identityHeader];
    if (identity === undefined || identity === '') return { status: 401 };
    const cached = this.cache.get(identity);
    let result: AuthorizerResult;
    if (cached !== undefined) {
      result = cached.result;
    } else {
      result = resultSchema.parse(await invoke(operatorAuthorizer.fn, authorizerEvent(event, identity)));
      this.remember(identity, result);
    }
    return result.isAuthorized ? { context: result.context ?? {} } : { status: 403 };
  }

  private evictExpired(now: number): void {
    for (const [identity, entry] of this.cache) {
      if (entry.until <= now) this.cache.delete(identity);
    }
  }

  private remember(identity: string, result: AuthorizerResult): void {
    // Re-inserted at the end, so the order stays the expiry order (concurrent checks may both ask).
    this.cache.delete(identity);
    while (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done === true) break;
      this.cache.delete(oldest.value);
    }
    this.cache.set(identity, { result, until: this.now() + operatorAuthorizer.cacheTtlSeconds * 1000 });
  }
}

/** The authorizer's REQUEST event (payload 2.0) for an HTTP API event, as API Gateway builds it. */
export function authorizerEvent(event: APIGatewayProxyEventV2, identity: string): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${event.requestContext.http.method}${event.rawPath}`,
    identitySource: [identity],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers,
    ...(event.queryStringParameters === undefined ? {} : { queryStringParameters: event.queryStringParameters }),
    requestContext: event.requestContext,
    ...(event.pathParameters === undefined ? {} : { pathParameters: event.pathParameters }),
  };
}
