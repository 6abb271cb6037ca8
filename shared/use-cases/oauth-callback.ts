import { statusAfterConnect, type AccountRecord, type ExpectedAccount } from '../domain/account';
import { ConflictError, DependencyError, NotConfiguredError } from '../domain/errors';
import { checkCallback, type AuthorizedCallback, type CallbackQuery, type CallbackRefusal } from '../domain/callback-request';
import { keyedHash } from '../domain/keyed-hash';
import { redirectUriFor } from '../domain/oauth';
import { missingScopes, parseScopes, publishingScopes, type PinterestEnvironment } from '../domain/pinterest';
import type { NewSecurityEvent, Outcome } from '../domain/security-event';
import type { PinterestAccount, TokenResponse } from '../domain/pinterest-api';
import type { AppCredentials, ConnectDeps, RequestFacts, StateRecord } from './connect-ports';

export interface CallbackInput {
  query: CallbackQuery;
  /** API Gateway's `cookies`: the browser's nonce cookie is among them. */
  cookies: readonly string[] | undefined;
  request: RequestFacts;
}

export type CallbackOutcome =
  | { kind: 'connected' | 'pending_confirmation' | 'missing_scopes'; account: AccountRecord; missing: string[] }
  | { kind: 'declined'; environment: PinterestEnvironment; error: string; description: string | undefined }
  | { kind: 'invalid_request'; reason: CallbackRefusal | 'unknown_state' | 'wrong_browser' }
  | { kind: 'wrong_account'; environment: PinterestEnvironment; username: string; accountId: string }
  | { kind: 'pinterest_failed'; environment: PinterestEnvironment; reason: string }
  | { kind: 'conflict'; environment: PinterestEnvironment };

/**
 * GET /oauth/callback, the token-exchange step. Steps:
 * 1. check the parameters (checkCallback: a state, no repeated parameter, a code unless `error=`);
 * 2. the Pinterest app credentials must be set (else NotConfiguredError, before anything is spent);
 * 3. spend the state in one conditional delete on the state and the browser's nonce hash: unknown,
 *    expired or used → refused; another browser → refused, the state left for the right one;
 * 4. `error=` → record it, never call the token endpoint;
 * 5. exchange the code at the state's environment (same redirect URI, HTTP Basic);
 * 6. read `/v5/user_account` with the in-memory token, and refuse an account other than the
 *    expected one (configured, or pinned by an earlier confirmation) before anything is stored;
 * 7. store the tokens in a new secret, then the account and token metadata (conditional on the
 *    version read), then delete the previous connection's secret;
 * 8. log the OAuth response metadata: code and state as keyed hashes, scopes, error, time, agent.
 * Outcomes the page shows are returned; anything else (not configured, storage down) is thrown.
 * https://developers.pinterest.com/docs/getting-started/set-up-authentication-and-authorization/
 */
export async function completeCallback(deps: ConnectDeps, input: CallbackInput): Promise<CallbackOutcome> {
  const key = await deps.hashingKey();
  const { code, state } = input.query;
  const meta = {
    ...(state ? { stateHash: keyedHash(key, 'oauth-state', state) } : {}),
    ...(code ? { codeHash: keyedHash(key, 'oauth-code', code) } : {}),
  };
  const log = (outcome: Outcome, errorCode: string | undefined, detail: NonNullable<NewSecurityEvent['detail']> = {}) =>
    deps.securityLog.write({ kind: 'oauth_callback', outcome, ...input.request, ...(errorCode ? { errorCode } : {}), detail: { ...meta, ...detail } });

  const checked = checkCallback(input.query, input.cookies);
  if (!checked.ok) {
    await log('client_error', checked.reason);
    return { kind: 'invalid_request', reason: checked.reason };
  }
  const callback = checked.request;
  // Without app credentials nothing can be exchanged: say so before the state is spent.
  let app: AppCredentials;
  try {
    app = await deps.appCredentials();
  } catch (failure) {
    if (failure instanceof NotConfiguredError) await log('server_error', 'not_configured');
    throw failure;
  }
  const nonceHash = callback.nonce === undefined ? undefined : keyedHash(key, 'oauth-nonce', callback.nonce);
  const consumed = await deps.oauthState.consumeState(keyedHash(key, 'oauth-state', callback.state), nonceHash);
  if (consumed.kind === 'unknown') {
    await log('client_error', 'unknown_state');
    return { kind: 'invalid_request', reason: 'unknown_state' };
  }
  if (consumed.kind === 'wrong_browser') {
    // The state stays for the browser that started the sign-in; this one is only logged.
    await log('denied', 'wrong_browser', { environment: consumed.environment, stateKept: true });
    return { kind: 'invalid_request', reason: 'wrong_browser' };
  }
  const environment = consumed.record.environment;
  if (callback.kind === 'declined') {
    const { error, description } = callback;
    await log('client_error', 'authorization_declined', { environment, error, ...(description ? { errorDescription: description } : {}) });
    return { kind: 'declined', environment, error, description };
  }
  return exchangeAndStore(deps, app, consumed.record, callback, log);
}

type Log = (outcome: Outcome, errorCode: string | undefined, detail?: NonNullable<NewSecurityEvent['detail']>) => Promise<unknown>;

async function exchangeAndStore(deps: ConnectDeps, app: AppCredentials, state: StateRecord, callback: AuthorizedCallback, log: Log): Promise<CallbackOutcome> {
  const environment = state.environment;
  const fetched = await fetchConnection(deps, app, environment, callback);
  if ('reason' in fetched) {
    await log('server_error', 'pinterest_failed', { environment, reason: fetched.reason });
    return { kind: 'pinterest_failed', environment, reason: fetched.reason };
  }
  const { tokens, account } = fetched;
  // Read the current record first: the version it carries guards the final write, so a confirmation
  // landing meanwhile makes this connection lose instead of being overwritten.
  const [previous, expected] = await Promise.all([deps.accounts.get(environment), expectedAccount(deps, environment)]);
  if (expected !== undefined && expected.accountId !== account.id) {
    await log('denied', 'wrong_account', { environment, accountId: account.id, expectedSource: expected.source });
    return { kind: 'wrong_account', environment, username: account.username, accountId: account.id };
  }
  const scopes = parseScopes(tokens.scope);
  const now = deps.clock.now();
  const connectionId = deps.newId();
  const accessTokenExpiresAt = new Date(now.getTime() + tokens.expires_in * 1000).toISOString();
  const { refreshTokenExpiresAt } = refreshExpiry(tokens, now);
  // The secret describes itself (version and expiries), so a refresh can always catch the account up.
  const secretName = await deps.vault.store(environment, account.id, connectionId, {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? '',
    tokenVersion: 1,
    accessTokenExpiresAt,
    ...(refreshTokenExpiresAt === undefined ? {} : { refreshTokenExpiresAt }),
  });
  const status = statusAfterConnect(scopes, expected);
  let stored: AccountRecord;
  try {
    stored = await deps.accounts.replace(
      {
        environment,
        status,
        accountId: account.id,
        username: account.username,
        ...(account.account_type === undefined ? {} : { accountType: account.account_type }),
        ...(account.business_name === undefined ? {} : { businessName: account.business_name }),
        scopes,
        connectionId,
        secretName,
        accessTokenExpiresAt,
        ...(refreshTokenExpiresAt === undefined ? {} : { refreshTokenExpiresAt }),
        tokenVersion: 1,
        connectedAt: now.toISOString(),
        ...(expected === undefined ? {} : { confirmedAt: now.toISOString() }),
      },
      previous,
    );
  } catch (error) {
    // Nothing refers to the new secret: remove it, so no live token is left unaccounted for. If that
    // fails too, the original failure still decides the answer and the orphan is logged by name.
    await deps.vault.delete(secretName).catch(() => log('server_error', 'new_secret_not_deleted', { environment, secretName }));
    if (!(error instanceof ConflictError)) throw error;
    await log('client_error', 'concurrent_connection', { environment });
    return { kind: 'conflict', environment };
  }
  if (previous !== undefined && previous.secretName !== secretName) {
    // The new connection is stored; failing to delete the old secret must not turn it into an error.
    await deps.vault.delete(previous.secretName).catch(() => log('server_error', 'old_secret_not_deleted', { environment, secretName: previous.secretName }));
  }
  const missing = missingScopes(scopes, publishingScopes);
  await log('ok', undefined, { environment, accountId: account.id, scopes, status, connectionId });
  return { kind: status, account: stored, missing };
}

function refreshExpiry(tokens: TokenResponse, now: Date): { refreshTokenExpiresAt?: string } {
  if (tokens.refresh_token_expires_at !== undefined) return { refreshTokenExpiresAt: new Date(tokens.refresh_token_expires_at * 1000).toISOString() };
  if (tokens.refresh_token_expires_in !== undefined) {
    return { refreshTokenExpiresAt: new Date(now.getTime() + tokens.refresh_token_expires_in * 1000).toISOString() };
  }
  return {};
}

async function expectedAccount(deps: ConnectDeps, env: PinterestEnvironment): Promise<ExpectedAccount | undefined> {
  if (deps.settings.expectedAccountId !== undefined) return { accountId: deps.settings.expectedAccountId, source: 'configured' };
  const pinned = await deps.accounts.pinned(env);
  return pinned === undefined ? undefined : { accountId: pinned.accountId, source: 'confirmed' };
}

/** Token exchange then account lookup, with every failure reduced to a reason safe to show and log. */
async function fetchConnection(
  deps: ConnectDeps,
  app: AppCredentials,
  environment: PinterestEnvironment,
  callback: AuthorizedCallback,
): Promise<{ tokens: TokenResponse; account: PinterestAccount } | { reason: string }> {
  let tokens: TokenResponse;
  try {
    const exchanged = await deps.pinterest.exchangeCode(environment, app, { code: callback.code, redirectUri: redirectUriFor(deps.settings.publicBaseUrl) }, deps.pinterestTimeoutMs);
    tokens = exchanged.data;
  } catch (error) {
    return { reason: `token exchange failed: ${describe(error)}` };
  }
  if (tokens.refresh_token === undefined) return { reason: 'Pinterest returned no refresh token' };
  try {
    const account = await deps.pinterest.userAccount(environment, tokens.access_token, deps.pinterestTimeoutMs);
    return { tokens, account: account.data };
  } catch (error) {
    return { reason: `account lookup failed: ${describe(error)}` };
  }
}

/** A failure's safe one-line summary: the dependency's own, never a body or a token. */
function describe(error: unknown): string {
  return error instanceof DependencyError ? error.summary : 'unexpected error';
}
