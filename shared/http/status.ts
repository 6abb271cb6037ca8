import type { ErrorCode } from '../domain/errors';

/** The one place that maps stable error codes to HTTP statuses. */
export const statusByCode: Record<ErrorCode, number> = {
  validation_failed: 400,
  invalid_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  not_found: 404,
  conflict: 409,
  not_configured: 409,
  rate_limited: 429,
  dependency_failed: 502,
  config_invalid: 500,
  internal_error: 500,
};

export function statusFor(code: ErrorCode): number {
  return statusByCode[code];
}
