import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { operatorAuthorizer } from '../shared/routes';
import { invoke } from './lambda-runtime';

/**
 * API Gateway's Lambda-authorizer behaviour for HTTP APIs (simple responses), copied for the local
 * server: a missing identity header is a 401 without calling the authorizer; `isAuthorized: false`
 * is a 403; results are cached per identity value for the configured TTL; the authorizer's context
 * reaches the route's handler as `requestContext.authorizer.lambda`.
 */

const resultSchema = z.object({
  isAuthorized: z.boolean(),
  context: z.record(z.string(), z.unknown()).optional(),
});
type AuthorizerResult = z.infer<typeof resultSchema>;

export type GateOutcome = { status: 401 | 403 } | { context: Record<string, unknown> };

export class AuthorizerGate {
  private readonly cache = new Map<string, { result: AuthorizerResult; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async check(event: APIGatewayProxyEventV2): Promise<GateOutcome> {
    const identity = event.headers[operatorAuthorizer.identityHeader];
    if (identity === undefined || identity === '') return { status: 401 };
    const cached = this.cache.get(identity);
    let result: AuthorizerResult;
    if (cached !== undefined && cached.until > this.now()) {
      result = cached.result;
    } else {
      result = resultSchema.parse(await invoke(operatorAuthorizer.fn, authorizerEvent(event, identity)));
      this.cache.set(identity, { result, until: this.now() + operatorAuthorizer.cacheTtlSeconds * 1000 });
    }
    return result.isAuthorized ? { context: result.context ?? {} } : { status: 403 };
  }
}

function authorizerEvent(event: APIGatewayProxyEventV2, identity: string): APIGatewayRequestAuthorizerEventV2 {
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
