import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { AppError, RateLimitedError, type ErrorCode } from '../domain/errors';
import { outcomeForStatus, type SecurityLogPort } from '../domain/security-event';
import { requestFacts } from './request-facts';
import type { ClientLimiter } from '../adapters/dynamo/client-limiter';
import { clientLimit, rateLimitOf } from './client-limit';
import { lambdaContext, rememberPresentedCredential } from '../observability/lambda-context';
import { logger } from '../observability/logger';
import { page } from './pages';
import { json, type HttpResult } from './responses';
import { securityHeaders } from './security-headers';
import { statusFor } from './status';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpHandlerFn = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** The id a caller can quote to support: API Gateway's request id, else the Lambda request id. */
export function requestIdOf(event: HttpEvent, context: Context): string {
  return event.requestContext.requestId || context.awsRequestId;
}

/** Titles of the error pages browser routes show, by code; anything else gets the generic one. */
const pageTitles: Partial<Record<ErrorCode, string>> = {
  not_configured: 'Pinterest is not set up yet',
  validation_failed: 'This request cannot be used',
  rate_limited: 'Too many requests',
};

/**
 * Turns any thrown value into a response. Client errors (4xx) and a dependency's failure (502) show
 * their code and message; anything else is logged in full (redacted) and answered with a generic 500
 * carrying only the request id, so a stack, a token or a secret can never reach the caller. Routes a browser opens (`answers: 'page'`)
 * get the same facts as an HTML page instead of JSON.
 */
export function errorResponse(error: unknown, requestId: string, answers: 'json' | 'page' = 'json'): HttpResult {
  if (error instanceof AppError) {
    const status = statusFor(error.code);
    // A dependency's failure (502) is answered with its message too: written by a use case from the
    // failure's safe summary, it tells the operator what failed and whether to retry.
    if (status < 500 || error.code === 'dependency_failed') {
      if (status < 500) logger.info('request refused', { errorCode: error.code, status });
      else logger.warn('dependency failed', { errorCode: error.code, status, error });
      const headers: Record<string, string> =
        error instanceof RateLimitedError ? { 'Retry-After': String(error.retryAfterSeconds) } : {};
      if (answers === 'page') {
        return page(status, pageTitles[error.code] ?? 'This request cannot be completed', [error.message, `Request id: ${requestId}`], headers);
      }
      return json(
        status,
        { error: { code: error.code, message: error.message, ...(error.details ?? {}), requestId } },
        headers,
      );
    }
  }
  logger.error('request failed', { error });
  const message = 'Internal error. Quote the request id to support.';
  if (answers === 'page') return page(500, 'Something went wrong', [message, `Request id: ${requestId}`]);
  return json(500, { error: { code: 'internal_error', message, requestId } });
}

/** Maps a thrown error to the answer, unless an earlier middleware already set one (it stands). */
export const errorHandler = (answers: Answers): middy.MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: (request) => {
    // middy starts a request with `undefined` although its type says `null`: either means none yet.
    if (request.response) return;
    request.response = errorResponse(request.error, requestIdOf(request.event, request.context), typeof answers === 'function' ? answers(request.event) : answers);
  },
});

/** How a route answers errors: JSON, an HTML page, or decided per request (a form posted by a browser gets a page). */
export type Answers = 'json' | 'page' | ((event: HttpEvent) => 'json' | 'page');

/** Per-request state lives on the request (`internal`), never in a middleware's closure: local mode runs requests concurrently in one process. */
const STARTED_AT = 'mdzStartedAt';

/** Correlation keys on every line, and one line per request with its outcome and duration. */
const requestKeys = (): middy.MiddlewareObj<HttpEvent, HttpResult> => {
  const done = (request: middy.Request<HttpEvent, HttpResult>) => {
    const startedAt = (request.internal as Record<string, number | undefined>)[STARTED_AT] ?? Date.now();
    logger.info('request completed', {
      method: request.event.requestContext.http.method,
      path: request.event.rawPath,
      status: request.response?.statusCode ?? 500,
      durationMs: Date.now() - startedAt,
      ...(request.error instanceof AppError ? { errorCode: request.error.code } : {}),
    });
  };
  return {
    before: (request) => {
      (request.internal as Record<string, number>)[STARTED_AT] = Date.now();
      logger.appendKeys({ apiRequestId: request.event.requestContext.requestId, route: request.event.routeKey });
    },
    after: done,
    onError: done,
  };
};

/**
 * Writes one security-log entry per request, after the answer is known (errors included). The log
 * given is the safe one (shared/wiring.ts): a failed write is reported there and never changes the
 * answer, which has already been decided.
 */
const securityLogging = (log: () => SecurityLogPort): middy.MiddlewareObj<HttpEvent, HttpResult> => {
  const write = async (request: middy.Request<HttpEvent, HttpResult>) => {
    const { event, context, response, error } = request;
    const status = response?.statusCode ?? 500;
    const errorCode = error instanceof AppError ? error.code : error ? 'internal_error' : undefined;
    const rateLimit = rateLimitOf(request);
    await log().write({
      kind: 'http_request',
      outcome: outcomeForStatus(status),
      ...requestFacts(event),
      status,
      ...(errorCode === undefined ? {} : { errorCode }),
      lambdaRequestId: context.awsRequestId,
      ...(rateLimit === undefined ? {} : { rateLimit: { limited: rateLimit.limited, remaining: rateLimit.remaining } }),
    });
  };
  return { after: write, onError: write };
};

export interface HttpHandlerOptions {
  /**
   * The security log to write each request to (from shared/wiring.ts); `false` for routes that must
   * not depend on storage (`/health`). Passed in rather than imported here, so a function's bundle
   * only carries the storage clients it really uses.
   */
  securityLog: (() => SecurityLogPort) | false;
  /**
   * `page` for routes a browser opens (the OAuth link and callback): errors answer as HTML pages; a
   * function decides per request (the support form: a page for the browser's form post, JSON for JSON).
   */
  answers?: Answers;
  /** The per-client counters, for functions serving routes with a `clientLimit` in the route table. */
  clientLimiter?: () => ClientLimiter;
}

/**
 * The one middy stack every HTTP function uses: Lambda context in the logs, a security-log entry per
 * request, security headers on every answer (errors included), and the error mapping above.
 */
export function httpHandler(fn: HttpHandlerFn, options: HttpHandlerOptions) {
  const log = options.securityLog;
  const stack = middy<HttpEvent, HttpResult>()
    .use(rememberPresentedCredential())
    .use(lambdaContext())
    .use(requestKeys());
  if (log !== false) stack.use(securityLogging(log));
  stack.use(securityHeaders()).use(errorHandler(options.answers ?? 'json'));
  if (options.clientLimiter !== undefined) stack.use(clientLimit(options.clientLimiter));
  return stack.handler(fn);
}
