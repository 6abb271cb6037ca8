import { keyedHash } from '../domain/keyed-hash';
import { TICKET_SECONDS, START_PATH, authorizeUrl, redirectUriFor } from '../domain/oauth';
import { epochSeconds } from '../domain/time';
import type { PinterestEnvironment } from '../domain/pinterest';
import type { OAuthDeps, RequestFacts } from './connect-ports';

/** What opening a start link leads to: the page's outcome (returned, not thrown: the page renders it). */
export type StartLinkOutcome = { kind: 'redirect'; location: string; nonce: string; cookieMaxAgeSeconds: number } | { kind: 'invalid_link' };

/**
 * POST /oauth/start. Steps: 1. check the Pinterest app credentials are set; 2. draw a random ticket
 * (256 bits); 3. store only its keyed hash with the environment, a ticket id and its expiry; 4. answer the `GET /oauth/start?ticket=…` link on
 * PUBLIC_BASE_URL (same host as the callback, so the cookie set there reaches the callback).
 */
export async function createStartLink(
  deps: OAuthDeps,
  environment: PinterestEnvironment,
  request: RequestFacts,
): Promise<{ url: string; expiresAt: string }> {
  // A link that could only end on an error page is not handed out (NotConfiguredError, a 409).
  await deps.appCredentials();
  const ticket = deps.randomToken();
  const now = deps.clock.now();
  const expiresAt = epochSeconds(now) + TICKET_SECONDS;
  const ticketId = deps.newId();
  await deps.oauthState.putTicket(keyedHash(await deps.hashingKey(), 'oauth-ticket', ticket), {
    environment,
    ticketId,
    createdAt: now.toISOString(),
    expiresAt,
  });
  await deps.securityLog.write({ kind: 'oauth_start', outcome: 'ok', ...request, detail: { environment, ticketId, step: 'link_created' } });
  const url = new URL(`${deps.settings.publicBaseUrl}${START_PATH}`);
  url.searchParams.set('ticket', ticket);
  return { url: url.toString(), expiresAt: new Date(expiresAt * 1000).toISOString() };
}

/**
 * GET /oauth/start?ticket=…. Steps: 0. check the Pinterest app credentials are set; 1. consume the ticket (one conditional delete; unknown, used or
 * expired → `invalid_link`); 2. draw a browser nonce and a state (256 bits each); 3. store
 * the state's keyed hash with the nonce's hash, the environment and the ticket id, for at most
 * RETENTION_OAUTH_STATE_MINUTES; 4. answer the authorize URL and the nonce for the cookie.
 * https://developers.pinterest.com/docs/getting-started/set-up-authentication-and-authorization/
 */
export async function openStartLink(
  deps: OAuthDeps,
  ticket: string | undefined,
  request: RequestFacts,
): Promise<StartLinkOutcome> {
  // Checked before the ticket is spent, so the same link works once the credentials are set.
  const app = await deps.appCredentials();
  const key = await deps.hashingKey();
  const record = ticket === undefined || ticket === '' ? undefined : await deps.oauthState.consumeTicket(keyedHash(key, 'oauth-ticket', ticket));
  if (record === undefined) {
    await deps.securityLog.write({ kind: 'oauth_start', outcome: 'client_error', errorCode: 'invalid_ticket', ...request });
    return { kind: 'invalid_link' };
  }
  const nonce = deps.randomToken();
  const state = deps.randomToken();
  const now = deps.clock.now();
  const lifetime = deps.settings.stateMinutes * 60;
  await deps.oauthState.putState(keyedHash(key, 'oauth-state', state), {
    environment: record.environment,
    ticketId: record.ticketId,
    nonceHash: keyedHash(key, 'oauth-nonce', nonce),
    createdAt: now.toISOString(),
    expiresAt: epochSeconds(now) + lifetime,
  });
  const location = authorizeUrl({
    authorizeUrl: deps.settings.authorizeUrl,
    clientId: app.clientId,
    redirectUri: redirectUriFor(deps.settings.publicBaseUrl),
    state,
  });
  await deps.securityLog.write({
    kind: 'oauth_start',
    outcome: 'ok',
    ...request,
    detail: { environment: record.environment, ticketId: record.ticketId, step: 'redirected', stateHash: keyedHash(key, 'oauth-state', state) },
  });
  return { kind: 'redirect', location, nonce, cookieMaxAgeSeconds: lifetime };
}
