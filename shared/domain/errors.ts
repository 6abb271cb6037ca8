/**
 * One error hierarchy for the whole product. Every error carries a stable machine-readable `code`;
 * the HTTP layer maps codes to statuses in one place (shared/http/status.ts). Nothing here knows HTTP.
 */

export const errorCodes = [
  'validation_failed',
  'invalid_json',
  'unsupported_media_type',
  'payload_too_large',
  'not_found',
  'conflict',
  'not_configured',
  'rate_limited',
  'dependency_failed',
  'config_invalid',
  'internal_error',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** A field-level problem found while validating input. `path` is dotted (`body.title`). */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  cause?: unknown;
  /** Safe, client-facing extra facts (never secrets). Only shown for client errors. */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

export class ValidationError extends AppError {
  readonly issues: FieldIssue[];

  constructor(message: string, issues: FieldIssue[] = [], options: AppErrorOptions = {}) {
    super('validation_failed', message, { ...options, details: { ...options.details, issues } });
    this.issues = issues;
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super('not_found', message, options);
  }
}

/** A state-machine or concurrency conflict; `currentState` tells the caller where the record is now. */
export class ConflictError extends AppError {
  constructor(message: string, currentState?: string, options: AppErrorOptions = {}) {
    super('conflict', message, {
      ...options,
      details: currentState === undefined ? options.details : { ...options.details, currentState },
    });
  }
}

/**
 * Something the operator must set up first (say, the Pinterest app credentials). Answered as a 409:
 * the request is fine, the deployment is not ready for it; the message says what to set.
 */
export class NotConfiguredError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super('not_configured', message, options);
  }
}

export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options: AppErrorOptions = {}) {
    super('rate_limited', message, { ...options, details: { ...options.details, retryAfterSeconds } });
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** Configuration is missing or invalid; names every offending variable so a deploy fails fast. */
export class ConfigError extends AppError {
  readonly variables: string[];

  constructor(variables: string[], problems: string[]) {
    super('config_invalid', `Invalid configuration: ${problems.join('; ')}`);
    this.variables = variables;
  }
}

/**
 * A dependency (Pinterest, say) failed. Not an AppError: it is never shown to a caller as is. Each
 * adapter's errors extend it with a stable `code` a use case can map to plain words, and a `summary`
 * safe to log and show (kind and status, never a response body, a token or a secret).
 */
export abstract class DependencyError extends Error {
  abstract readonly code: string;
  abstract readonly summary: string;

  /** Seconds until a retry can help, when the dependency said (a rate limit). */
  get retryAfterSeconds(): number | undefined {
    return undefined;
  }

  /**
   * The dependency's own one-line reason for refusing a request (say, Pinterest's "board name already
   * in use"), when it gave one: shown to the operator for refusals of their input. Never a token.
   */
  get refusalMessage(): string | undefined {
    return undefined;
  }
}
