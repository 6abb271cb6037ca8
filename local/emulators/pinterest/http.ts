import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { readBody as readBodyBytes } from '../../http-body';
import type { HostName } from './types';

/** Request and reply shapes shared by every handler, and helpers to build replies. */

export interface EmulatorRequest {
  host: HostName;
  method: string;
  /** Path without the query, e.g. '/v5/oauth/token'. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** Path parameters of the matched route (`:name` segments). */
  params: Record<string, string>;
  /** Emulator-clock time when the request arrived. */
  nowMs: number;
  rid: string;
  /** Set by an `omit_refresh_token` fault: the token endpoint then issues no new refresh token. */
  omitRefreshToken: boolean;
  /** Set by an `image_unreachable` fault: `POST /v5/pins` then cannot fetch an `image_url`. */
  imageUnreachable: boolean;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The handler changed nothing that must be written now, so the data file is not rewritten. */
  readOnly?: boolean;
}

export const MAX_BODY_BYTES = 1024 * 1024;

export function json(status: number, payload: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) };
}

/** Pinterest's error body: always `{code, message}` (spec schema `Error`). */
export function apiError(status: number, code: number, message: string): Reply {
  return json(status, { code, message });
}

export function html(status: number, page: string): Reply {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      // No scripts, no framing. No form-action: browsers apply it to the redirect after the form post.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'cache-control': 'no-store',
    },
    body: page,
  };
}

export function redirect(location: string): Reply {
  return { status: 302, headers: { location, 'cache-control': 'no-store' }, body: '' };
}

export interface RawBody {
  text: string;
  /** Past the limit the rest is drained, not buffered, and `text` is empty. */
  tooLarge: boolean;
}

export async function readBody(req: IncomingMessage): Promise<RawBody> {
  const body = await readBodyBytes(req, MAX_BODY_BYTES);
  return body === 'too_large' ? { tooLarge: true, text: '' } : { tooLarge: false, text: body.toString('utf8') };
}

/** The media type of a request, lower-cased, without parameters such as charset. */
export function mediaType(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function isForm(req: EmulatorRequest): boolean {
  return mediaType(req.headers) === 'application/x-www-form-urlencoded';
}

/**
 * A JSON request body (the API's write endpoints take JSON only; the spec documents no other media
 * type). Wrong media type → 415, unparsable → 400, both `{code: 1}` like the token endpoint's.
 */
export function jsonBody(req: EmulatorRequest): { value: unknown } | { error: Reply } {
  if (mediaType(req.headers) !== 'application/json') return { error: apiError(415, 1, 'Content-Type must be application/json.') };
  try {
    return { value: JSON.parse(req.body) as unknown };
  } catch {
    return { error: apiError(400, 1, 'The request body is not valid JSON.') };
  }
}

/** A JSON object (not null, not an array): what every request body must be. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A path parameter of the matched route ('' if the pattern has none by that name). */
export function param(req: EmulatorRequest, name: string): string {
  return req.params[name] ?? '';
}

/** Flattens Node's header object (arrays for repeated headers) for the request log. */
export function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
