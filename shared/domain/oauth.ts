import * as z from '../zod';
import { environments, requestedScopes } from './pinterest';

/**
 * Pure helpers for Pinterest's OAuth authorization-code flow. The redirect URI is derived from
 * PUBLIC_BASE_URL in one place, so the authorize call and the token call always send the same bytes.
 */

export const CALLBACK_PATH = '/oauth/callback';
export const START_PATH = '/oauth/start';
/** The browser-binding cookie: scoped to the callback path, HttpOnly, Secure, SameSite=Lax. */
/** `__Secure-`: browsers accept it only with `Secure` from a secure origin, so no page on plain http elsewhere can plant it. */
export const NONCE_COOKIE = '__Secure-mdz_oauth_nonce';
/** Start links are single-use and live this long. */
export const TICKET_SECONDS = 300;

export function redirectUriFor(publicBaseUrl: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}${CALLBACK_PATH}`;
}

/** The authorize page URL. No PKCE: Pinterest documents none and always requires the client secret. */
export function authorizeUrl(options: { authorizeUrl: string; clientId: string; redirectUri: string; state: string }): string {
  const url = new URL(options.authorizeUrl);
  url.searchParams.set('client_id', options.clientId);
  url.searchParams.set('redirect_uri', options.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', requestedScopes.join(','));
  url.searchParams.set('state', options.state);
  return url.toString();
}

export function nonceCookie(nonce: string, maxAgeSeconds: number): string {
  return `${NONCE_COOKIE}=${nonce}; Path=${CALLBACK_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Lax`;
}

export function clearedNonceCookie(): string {
  return `${NONCE_COOKIE}=; Path=${CALLBACK_PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Lax`;
}

/** The nonce from API Gateway's `cookies` array (several cookies of that name: none is trusted). */
export function nonceFromCookies(cookies: readonly string[] | undefined): string | undefined {
  const values = (cookies ?? [])
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie.startsWith(`${NONCE_COOKIE}=`))
    .map((cookie) => cookie.slice(NONCE_COOKIE.length + 1));
  return values.length === 1 && values[0] !== '' ? values[0] : undefined;
}

/** A start link's ticket as stored (under the keyed hash of its value, never the value). */
export const ticketRecordSchema = z.object({
  environment: z.enum(environments),
  ticketId: z.string(),
  createdAt: z.string(),
  expiresAt: z.number(),
});
export type TicketRecord = z.infer<typeof ticketRecordSchema>;

/** A pending sign-in's state as stored, bound to the browser by its nonce's keyed hash. */

export const stateRecordSchema = z.object({
  environment: z.enum(environments),
  ticketId: z.string(),
  nonceHash: z.string(),
  createdAt: z.string(),
  expiresAt: z.number(),
});
export type StateRecord = z.infer<typeof stateRecordSchema>;
