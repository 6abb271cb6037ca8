import { AppError, DependencyError, NotFoundError, RateLimitedError, ValidationError } from '../domain/errors';
import type { PinterestEnvironment } from '../domain/pinterest';

/**
 * What the operator is told when a Pinterest call made on their request fails: a client error they
 * can act on (404, 400 with Pinterest's reason, 429 with Retry-After) or a 502 naming the failure's
 * kind, never Pinterest's raw body, a token or a stack. Anything that is not a dependency failure is
 * passed through untouched (it is ours, and the HTTP layer answers it as a generic 500).
 */
export interface CallDescription {
  /** What was being done, for the message: "list the sections of board 123". */
  action: string;
  /** What a 404 means here, when the thing asked for is gone at Pinterest. */
  notFound?: string;
  /** For writes: said when the outcome is unknown, so the operator checks before trying again. */
  ifUnknown?: string;
}

export function operatorErrorFor(error: unknown, env: PinterestEnvironment, call: CallDescription): unknown {
  if (!(error instanceof DependencyError)) return error;
  const where = `Pinterest ${env}`;
  switch (error.code) {
    case 'rate_limited':
    case 'spam_blocked': {
      const wait = error.retryAfterSeconds ?? 60;
      const what = error.code === 'spam_blocked' ? 'has paused this kind of request (a spam block)' : 'is rate limiting this app';
      return new RateLimitedError(`${where} ${what}: could not ${call.action}; try again in ${String(Math.ceil(wait))} s.`, wait, { cause: error });
    }
    case 'not_found':
      return new NotFoundError(call.notFound ?? `${where} does not know what was asked for: could not ${call.action}.`, { cause: error });
    case 'invalid_request':
      return new ValidationError(`${where} refused to ${call.action}: ${error.refusalMessage ?? error.summary}`, [], { cause: error });
    case 'forbidden':
      return new AppError('dependency_failed', `${where} refused access (${error.summary}): could not ${call.action}.${env === 'production' ? ' A Trial app can only use the sandbox: production needs Standard access.' : ' Check the app\'s scopes and access at Pinterest.'}`, { cause: error });
    case 'outcome_unknown':
    case 'server_error':
      return new AppError('dependency_failed', `${where} failed (${error.summary}): could not ${call.action}.${call.ifUnknown === undefined ? ' Try again later.' : ` ${call.ifUnknown}`}`, { cause: error });
    default:
      return new AppError('dependency_failed', `${where} could not be reached or answered unexpectedly (${error.summary}): could not ${call.action}. Try again later.`, { cause: error });
  }
}
