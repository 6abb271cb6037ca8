/**
 * The first, pure step of the OAuth callback: Pinterest's redirect parameters and the browser's nonce
 * checked and turned into a typed request, or refused. Only this function makes an AuthorizedCallback,
 * so the token exchange (which takes nothing else) can never see an unchecked code. Nothing here reads
 * storage: the state's own checks (known, unexpired, this browser's) come next, in the use case.
 */

import { nonceFromCookies } from './oauth';

declare const checked: unique symbol;

interface CheckedParts {
  /** The state value as Pinterest echoed it (one value, present). */
  state: string;
  /** The browser's nonce cookie, if it sent exactly one. */
  nonce: string | undefined;
  readonly [checked]: true;
}

/** Pinterest sent a code: the only input the token exchange accepts. */
export type AuthorizedCallback = CheckedParts & { kind: 'authorized'; code: string };
/** Pinterest sent `error=` (the person declined, or Pinterest refused): never reaches the token endpoint. */
export type DeclinedCallback = CheckedParts & { kind: 'declined'; error: string; description: string | undefined };
export type CallbackRequest = AuthorizedCallback | DeclinedCallback;

export type CallbackRefusal = 'missing_state' | 'missing_code' | 'repeated_parameter';

export interface CallbackQuery {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
  error_description?: string | undefined;
}

/** Longest error or description kept (they are shown and logged, and Pinterest's are short). */
const MAX_TEXT = 300;
const present = (value: string | undefined): value is string => value !== undefined && value !== '';

/**
 * Checks the callback's parameters: a state is required; API Gateway joins a repeated parameter's
 * values with commas, and neither our states (base64url) nor Pinterest's codes contain one, so a
 * comma means the parameter came twice and the request is refused; `error=` wins over a code. The
 * nonce is the browser's one nonce cookie (none, or several: no nonce).
 */
export function checkCallback(query: CallbackQuery, cookies: readonly string[] | undefined): { ok: true; request: CallbackRequest } | { ok: false; reason: CallbackRefusal } {
  const { state, code, error } = query;
  const nonce = nonceFromCookies(cookies);
  if (!present(state)) return { ok: false, reason: 'missing_state' };
  if (state.includes(',') || (present(code) && code.includes(','))) return { ok: false, reason: 'repeated_parameter' };
  const parts = { state, nonce } as CheckedParts;
  if (present(error)) {
    const description = present(query.error_description) ? query.error_description.slice(0, MAX_TEXT) : undefined;
    return { ok: true, request: { ...parts, kind: 'declined', error: error.slice(0, MAX_TEXT), description } };
  }
  if (!present(code)) return { ok: false, reason: 'missing_code' };
  return { ok: true, request: { ...parts, kind: 'authorized', code } };
}
