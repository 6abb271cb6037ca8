import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RequestFacts } from '../use-cases/ports';

/** What a use case may record about the request (the client address only to be hashed). */
export function requestFacts(event: APIGatewayProxyEventV2): RequestFacts {
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    userAgent: event.requestContext.http.userAgent,
    clientAddress: event.requestContext.http.sourceIp,
    requestId: event.requestContext.requestId,
  };
}
