import { DependencyError } from '../../domain/errors';
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

/** Every Pinterest failure's stable code: an answer's kind, or how the call failed without one. */
export type PinterestErrorCode = PinterestErrorKind | 'not_sent' | 'outcome_unknown' | 'unexpected_answer';

/**
 * The one base of the Pinterest client's errors: a stable `code` (what a use case maps to plain words)
 * and a one-line `summary` that is safe to log and show (no body, no token, no secret).
 */
export abstract class PinterestError extends DependencyError {
  abstract override readonly code: PinterestErrorCode;

  constructor(
    readonly environment: PinterestEnvironment,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Pinterest answered with an error: carries its code, message, HTTP status and request id. */
export class PinterestApiError extends PinterestError {
  readonly kind: PinterestErrorKind;
  readonly code: PinterestErrorCode;

  constructor(
    environment: PinterestEnvironment,
    readonly status: number,
    readonly pinterestCode: number | undefined,
    readonly pinterestMessage: string,
    readonly requestId: string | undefined,
    readonly rateLimit: RateLimit,
  ) {
    super(environment, `Pinterest ${environment} answered ${status}${pinterestCode === undefined ? '' : ` (code ${pinterestCode})`}: ${pinterestMessage}`);
    this.name = 'PinterestApiError';
    this.kind = classify(status, pinterestCode, pinterestMessage);
    this.code = this.kind;
  }

  get summary(): string {
    return `${this.kind} (HTTP ${String(this.status)}${this.pinterestCode === undefined ? '' : `, code ${String(this.pinterestCode)}`})`;
  }

  /** Seconds to wait before a retry can help (rate limits), when Pinterest said. */
  override get retryAfterSeconds(): number | undefined {
    return this.status === 429 ? (this.rateLimit.resetSeconds ?? 60) : undefined;
  }

  /** Pinterest's message for a refused field (other 4xx), cut to one short line. */
  override get refusalMessage(): string | undefined {
    if (this.kind !== 'invalid_request') return undefined;
    const line = this.pinterestMessage.replace(/\s+/g, ' ').trim();
    return line === '' ? undefined : line.slice(0, 200);
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
export class PinterestNetworkError extends PinterestError {
  readonly code: PinterestErrorCode;

  constructor(
    environment: PinterestEnvironment,
    readonly beforeSend: boolean,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(environment, `Pinterest ${environment} unreachable (${reason}${beforeSend ? ', not sent' : ', may have been processed'})`, options);
    this.name = 'PinterestNetworkError';
    this.code = beforeSend ? 'not_sent' : 'outcome_unknown';
  }

  get summary(): string {
    return this.reason;
  }
}

/** Pinterest answered 2xx with a body that is not what the API promises. */
export class PinterestResponseError extends PinterestError {
  readonly code: PinterestErrorCode = 'unexpected_answer';

  constructor(
    environment: PinterestEnvironment,
    readonly status: number,
    readonly requestId: string | undefined,
    reason: string,
  ) {
    super(environment, `Pinterest ${environment} sent an unexpected ${status} response: ${reason}`);
    this.name = 'PinterestResponseError';
  }

  get summary(): string {
    return `unexpected answer (HTTP ${String(this.status)})`;
  }
}
