import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type middy from '@middy/core';
import { logger } from './logger';
import { registerTransientSecret } from './redact';

/**
 * The Lambda context on every log line, with state reset between invocations. Events are never
 * logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says: they carry the Authorization header, cookies,
 * OAuth codes and states, and the authorizer's identity source.
 */
export const lambdaContext = () => injectLambdaContext(logger, { resetKeys: true, logEvent: false });

/**
 * First in every stack: whatever the caller presented as Authorization may be the real credential
 * in a format the authorizer refuses (`Token X`, a bare `X`, `Bearer:X`, two values joined by a
 * comma), so the redactor learns the whole value and each piece of it before anything is logged.
 */
export const rememberPresentedCredential = (): middy.MiddlewareObj<{ headers?: Record<string, string | undefined> | null }> => ({
  before: (request) => {
    const header = request.event.headers?.authorization;
    if (header === undefined) return;
    registerTransientSecret(header);
    for (const piece of header.split(/[\s,:;]+/)) registerTransientSecret(piece);
  },
});
