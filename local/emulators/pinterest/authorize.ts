import { isKnownScope, parseScopeList, PENDING_CONSENT_TTL_MS } from './constants';
import { html, isForm, redirect, type EmulatorRequest, type Reply } from './http';
import { consentPage, errorPage } from './pages';
import type { EmulatorService } from './service';
import type { PendingConsent } from './state';
import { issueCode, randomAlphanumeric } from './tokens';
import type { WwwRoute } from './www';

/**
 * The authorize page, `GET https://www.pinterest.com/oauth/` (one for both environments), and the
 * consent form's target. Until client_id and redirect_uri are known to be registered, problems are
 * shown as a page, never redirected: redirecting to an unverified URI would be an open redirect. After
 * that, errors go back to the app RFC 6749 style (`error`, plus `state` when one was sent).
 */

interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
}

/** Appends parameters to the registered URI as it is, keeping any query it already has. */
function redirectBack(redirectUri: string, params: Record<string, string>, state: string | undefined): Reply {
  const query = new URLSearchParams(params);
  if (state !== undefined) query.set('state', state);
  const hashAt = redirectUri.indexOf('#');
  const base = hashAt < 0 ? redirectUri : redirectUri.slice(0, hashAt);
  const fragment = hashAt < 0 ? '' : redirectUri.slice(hashAt);
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return redirect(`${base}${separator}${query.toString()}${fragment}`);
}

function approve(service: EmulatorService, consent: Omit<PendingConsent, 'expiresMs'>, nowMs: number): Reply {
  const { clientId, redirectUri, userId, scopes } = consent;
  const code = issueCode(service.store, { clientId, redirectUri, userId, scopes }, nowMs);
  return redirectBack(redirectUri, { code }, consent.state);
}

function askForConsent(service: EmulatorService, request: AuthorizeRequest, nowMs: number): Reply {
  const { state } = service.store;
  const userId = state.consentingUserId;
  if (state.consentMode === 'deny') return redirectBack(request.redirectUri, { error: 'access_denied' }, request.state);
  if (state.consentMode === 'approve') return approve(service, { ...request, userId }, nowMs);
  // The form carries only this id; what was asked is kept here, so a tampered form cannot change it.
  const decisionId = randomAlphanumeric(32);
  state.pending.set(decisionId, { ...request, userId, expiresMs: nowMs + PENDING_CONSENT_TTL_MS });
  const page = consentPage({
    clientId: request.clientId,
    username: service.store.user(userId)?.username ?? userId,
    redirectUri: request.redirectUri,
    scopes: request.scopes,
    decisionId,
    decisionUrl: `${service.urls.www}/oauth/decision`,
  });
  return html(200, page);
}

function authorize(service: EmulatorService, req: EmulatorRequest): Reply {
  const { app } = service.store.state;
  const clientId = req.query.get('client_id');
  const redirectUri = req.query.get('redirect_uri');
  if (clientId === null || clientId !== app.clientId) {
    return html(400, errorPage('Unknown app', 'No app with this client_id exists. Check the client_id parameter.'));
  }
  if (redirectUri === null || !app.redirectUris.includes(redirectUri)) {
    return html(400, errorPage('Invalid redirect URI', 'The redirect_uri does not exactly match any redirect URI registered for this app.'));
  }
  const state = req.query.get('state') ?? undefined;
  if (req.query.get('response_type') !== 'code') return redirectBack(redirectUri, { error: 'unsupported_response_type' }, state);
  const scopes = parseScopeList(req.query.get('scope'));
  if (scopes.length === 0 || !scopes.every(isKnownScope)) return redirectBack(redirectUri, { error: 'invalid_scope' }, state);
  return askForConsent(service, { clientId, redirectUri, scopes, state }, req.nowMs);
}

function decide(service: EmulatorService, req: EmulatorRequest): Reply {
  if (!isForm(req)) return html(415, errorPage('Unsupported request', 'The decision must be posted as a form.'));
  const form = new URLSearchParams(req.body);
  const decisionId = form.get('decision_id') ?? '';
  const decision = form.get('decision');
  const { pending } = service.store.state;
  const consent = pending.get(decisionId);
  if (consent === undefined || consent.expiresMs <= req.nowMs) {
    return html(400, errorPage('This request has expired', 'Go back to the app and start connecting again.'));
  }
  if (decision !== 'allow' && decision !== 'deny') return html(400, errorPage('Unknown decision', 'Choose Allow or Deny.'));
  // One decision per consent page: a second post (or a replayed form) finds nothing.
  pending.delete(decisionId);
  if (decision === 'deny') return redirectBack(consent.redirectUri, { error: 'access_denied' }, consent.state);
  return approve(service, consent, req.nowMs);
}

export const authorizeRoutes: readonly WwwRoute[] = [
  { method: 'GET', pattern: '/oauth/', handle: authorize },
  // Pinterest's documented URL ends in a slash; accepting the bare path too costs nothing.
  { method: 'GET', pattern: '/oauth', handle: authorize },
  { method: 'POST', pattern: '/oauth/decision', handle: decide },
];
