import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RequestFacts } from '../domain/security-event';

/** The fields of API Gateway's event every request-shaped event has (HTTP API and authorizer events). */
type RequestShaped = Pick<APIGatewayProxyEventV2, 'rawPath' | 'routeKey' | 'requestContext'>;

/**
 * The one place a security-log entry's request fields are built, for the HTTP middleware, the
 * authorizer and the use cases alike. The client address is API Gateway's `sourceIp` (never
 * X-Forwarded-For), only to be hashed; the path never carries the query.
 */
export function requestFacts(event: RequestShaped): RequestFacts {
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    route: event.routeKey,
    userAgent: event.requestContext.http.userAgent,
    clientAddress: event.requestContext.http.sourceIp,
    requestId: event.requestContext.requestId,
  };
}
