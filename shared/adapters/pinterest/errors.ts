import type { PinterestEnvironment } from '../../domain/pinterest';

/** Rate-limit facts from Pinterest's `x-ratelimit-limit`, `-remaining` and `-reset` headers. */
export interface RateLimit {
  limit?: number;
  remaining?: number;
  /** Seconds until the window resets. */
  resetSeconds?: number;
}

export type PinterestErrorKind =
  | 'unauthorized' // 401 code 2: expired or invalid token (or bad client credentials)
  | 'invalid_grant' // code 283: bad code or refresh token
  | 'rate_limited' // 429
  | 'spam_blocked' // 429 whose message names a spam block
  | 'forbidden' // 403 (code 29: Trial app on production, or no access)
  | 'not_found' // 404
  | 'invalid_request' // other 4xx: a field Pinterest refused
  | 'server_error'; // ≥ 500: the call may or may not have been processed

/** Pinterest answered with an error: carries its code, message, HTTP status and request id. */
export class PinterestApiError extends Error {
  readonly kind: PinterestErrorKind;

  constructor(
    readonly environment: PinterestEnvironment,
    readonly status: number,
    readonly pinterestCode: number | undefined,
    readonly pinterestMessage: string,
    readonly requestId: string | undefined,
    readonly rateLimit: RateLimit,
  ) {
    super(`Pinterest ${environment} answered ${status}${pinterestCode === undefined ? '' : ` (code ${pinterestCode})`}: ${pinterestMessage}`);
    this.name = 'PinterestApiError';
    this.kind = classify(status, pinterestCode, pinterestMessage);
  }

  /** Seconds to wait before a retry can help (rate limits), when Pinterest said. */
  get retryAfterSeconds(): number | undefined {
    return this.status === 429 ? (this.rateLimit.resetSeconds ?? 60) : undefined;
  }
}

function classify(status: number, code: number | undefined, message: string): PinterestErrorKind {
  if (code === 283) return 'invalid_grant';
  if (status === 401) return 'unauthorized';
  if (status === 429) return /spam/i.test(message) ? 'spam_blocked' : 'rate_limited';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status >= 500) return 'server_error';
  return 'invalid_request';
}

/**
 * The call failed without an answer. `beforeSend` is true only when the request cannot have reached
 * Pinterest (connection refused, name not resolved, connect timeout): only then is a retry of a
 * non-idempotent call safe. Any other timeout or dropped connection may have been processed.
 */
export class PinterestNetworkError extends Error {
  constructor(
    readonly environment: PinterestEnvironment,
    readonly beforeSend: boolean,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Pinterest ${environment} unreachable (${reason}${beforeSend ? ', not sent' : ', may have been processed'})`, options);
    this.name = 'PinterestNetworkError';
  }
}

/** Pinterest answered 2xx with a body that is not what the API promises. */
export class PinterestResponseError extends Error {
  constructor(
    readonly environment: PinterestEnvironment,
    readonly status: number,
    readonly requestId: string | undefined,
    reason: string,
  ) {
    super(`Pinterest ${environment} sent an unexpected ${status} response: ${reason}`);
    this.name = 'PinterestResponseError';
  }
}
