import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { AppError, RateLimitedError } from '../domain/errors';
import { logger } from '../observability/logger';
import { json, type HttpResult } from './responses';
import { securityHeaders } from './security-headers';
import { statusFor } from './status';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpHandlerFn = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** The id a caller can quote to support: API Gateway's request id, else the Lambda request id. */
export function requestIdOf(event: HttpEvent, context: Context): string {
  return event.requestContext.requestId || context.awsRequestId;
}

/**
 * Turns any thrown value into a response. Client errors (4xx) show their code and message; anything
 * else is logged in full (redacted) and answered with a generic 500 carrying only the request id, so a
 * stack, a token or a secret can never reach the caller.
 */
export function errorResponse(error: unknown, requestId: string): HttpResult {
  if (error instanceof AppError) {
    const status = statusFor(error.code);
    if (status < 500) {
      logger.info('request refused', { errorCode: error.code, status });
      const headers: Record<string, string> =
        error instanceof RateLimitedError ? { 'Retry-After': String(error.retryAfterSeconds) } : {};
      return json(
        status,
        { error: { code: error.code, message: error.message, ...(error.details ?? {}), requestId } },
        headers,
      );
    }
  }
  logger.error('request failed', { error });
  return json(500, {
    error: { code: 'internal_error', message: 'Internal error. Quote the request id to support.', requestId },
  });
}

const errorHandler = (): middy.MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: (request) => {
    request.response = errorResponse(request.error, requestIdOf(request.event, request.context));
  },
});

const requestKeys = (): middy.MiddlewareObj<HttpEvent, HttpResult> => ({
  before: (request) => {
    logger.appendKeys({ apiRequestId: request.event.requestContext.requestId, route: request.event.routeKey });
  },
});

/**
 * The one middy stack every HTTP function uses: Lambda context in the logs, security headers on every
 * answer (errors included), and the error mapping above.
 */
export function httpHandler(fn: HttpHandlerFn) {
  return middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestKeys())
    .use(securityHeaders())
    .use(errorHandler())
    .handler(fn);
}
