import type { AppCaller, AppRoute } from './api';
import { MESSAGES, parseScopeList } from './constants';
import { apiError, isForm, json, type EmulatorRequest, type Reply } from './http';
import type { EmulatorService } from './service';
import { grantTokens, redeemCode, refreshTokens, type TokenSet } from './tokens';

/**
 * `POST /v5/oauth/token` (spec `OauthAccessTokenRequest*` / `...Response*`).
 * The environment is the host the request reached: a code exchanged on the sandbox host yields
 * sandbox tokens. Client authentication (HTTP Basic) has already been checked by the API dispatcher.
 */

type ResponseType = 'authorization_code' | 'refresh_token';

function invalidGrant(): Reply {
  return apiError(400, 283, MESSAGES.invalidGrant);
}

function missing(name: string): Reply {
  return apiError(400, 1, `Missing required parameter: ${name}`);
}

/** Field order follows Pinterest's documented examples; refresh fields only when one was issued. */
function tokenReply(tokens: TokenSet, responseType: ResponseType): Reply {
  const { refresh } = tokens;
  const body = {
    access_token: tokens.accessToken,
    ...(refresh === undefined ? {} : { refresh_token: refresh.token }),
    token_type: 'bearer',
    expires_in: tokens.expiresIn,
    ...(refresh === undefined
      ? {}
      : { refresh_token_expires_in: refresh.expiresIn, refresh_token_expires_at: refresh.expiresAtS }),
    scope: tokens.scopes.join(' '),
    response_type: responseType,
  };
  // Token answers must not be cached (RFC 6749 §5.1).
  return json(200, body, { 'cache-control': 'no-store', pragma: 'no-cache' });
}

function exchangeCode(service: EmulatorService, req: EmulatorRequest, caller: AppCaller, form: URLSearchParams): Reply {
  const code = form.get('code');
  const redirectUri = form.get('redirect_uri');
  if (code === null || code === '') return missing('code');
  if (redirectUri === null || redirectUri === '') return missing('redirect_uri');
  // `continuous_refresh` is accepted and ignored: every token here is a continuous refresh token.
  const record = redeemCode(service.store, { clientId: caller.clientId, code, redirectUri }, req.nowMs);
  if (record === undefined || service.store.user(record.userId) === undefined) return invalidGrant();
  const consent = { clientId: record.clientId, userId: record.userId, scopes: record.scopes };
  const tokens = grantTokens(service.store, caller.environment, consent, req.nowMs, !req.omitRefreshToken);
  return tokenReply(tokens, 'authorization_code');
}

function refresh(service: EmulatorService, req: EmulatorRequest, caller: AppCaller, form: URLSearchParams): Reply {
  const refreshToken = form.get('refresh_token');
  if (refreshToken === null || refreshToken === '') return missing('refresh_token');
  const requested = parseScopeList(form.get('scope'));
  const tokens = refreshTokens(
    service.store,
    caller.environment,
    { clientId: caller.clientId, refreshToken, scopes: requested.length === 0 ? undefined : requested, rotate: !req.omitRefreshToken },
    req.nowMs,
  );
  return tokens === undefined ? invalidGrant() : tokenReply(tokens, 'refresh_token');
}

export const tokenRoute: AppRoute = {
  method: 'POST',
  pattern: '/v5/oauth/token',
  category: 'org_read',
  auth: 'basic',
  handle(service, req, caller) {
    if (!isForm(req)) return apiError(415, 1, 'Content-Type must be application/x-www-form-urlencoded.');
    const form = new URLSearchParams(req.body);
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') return exchangeCode(service, req, caller, form);
    if (grantType === 'refresh_token') return refresh(service, req, caller, form);
    if (grantType === null || grantType === '') return missing('grant_type');
    return apiError(400, 1, `Unsupported grant_type: ${grantType}. The emulator supports authorization_code and refresh_token.`);
  },
};
