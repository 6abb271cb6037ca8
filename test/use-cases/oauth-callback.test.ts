import { PinterestApiError, PinterestNetworkError } from '../../shared/adapters/pinterest/errors';
import { NotConfiguredError } from '../../shared/domain/errors';
import { keyedHash } from '../../shared/domain/keyed-hash';
import { NONCE_COOKIE } from '../../shared/domain/oauth';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { completeCallback, type CallbackOutcome } from '../../shared/use-cases/oauth-callback';
import { createStartLink, openStartLink } from '../../shared/use-cases/oauth-start';
import { MIRA, OTHER_ACCOUNT, accountRecord, memoryConnectDeps, requestFacts, type ConnectOverrides } from '../support/memory-ports';

const facts = requestFacts('GET', '/oauth/callback');
const CODE = 'pinterest-auth-code-1';

type Memory = ReturnType<typeof memoryConnectDeps>;

/** Runs the start link as a browser would: the state Pinterest will echo, and the browser's nonce cookie. */
async function startSignIn({ deps }: Memory, environment: PinterestEnvironment = 'sandbox') {
  const link = await createStartLink(deps, environment, requestFacts('POST', '/oauth/start'));
  const opened = await openStartLink(deps, new URL(link.url).searchParams.get('ticket') ?? '', requestFacts('GET', '/oauth/start'));
  if (opened.kind !== 'redirect') throw new Error('the start link did not redirect');
  const state = new URL(opened.location).searchParams.get('state') ?? '';
  return { state, cookies: [`${NONCE_COOKIE}=${opened.nonce}`] };
}

/** A memory deployment with a sign-in under way. */
async function signingIn(overrides: ConnectOverrides = {}, environment: PinterestEnvironment = 'sandbox') {
  const memory = memoryConnectDeps(overrides);
  const browser = await startSignIn(memory, environment);
  /** The callback as Pinterest redirects the browser that started the sign-in (by default with a code). */
  const callback = (query: Record<string, string> = { state: browser.state, code: CODE }) => completeCallback(memory.deps, { query, cookies: browser.cookies, request: facts });
  return { ...memory, browser, callback };
}

function connection(outcome: CallbackOutcome) {
  if (outcome.kind !== 'connected' && outcome.kind !== 'pending_confirmation' && outcome.kind !== 'missing_scopes') {
    throw new Error(`expected a stored connection, got ${JSON.stringify(outcome)}`);
  }
  return outcome;
}

const callbackLog = (memory: Memory) => memory.state.log.ofKind('oauth_callback');

describe('completeCallback: refusals before the token endpoint', () => {
  it.each([
    { reason: 'missing_state', sent: 'no state', query: () => ({ code: CODE }) },
    { reason: 'missing_code', sent: 'a state but no code', query: (state: string) => ({ state }) },
    { reason: 'repeated_parameter', sent: 'the state twice (joined with a comma)', query: (state: string) => ({ state: `${state},${state}`, code: CODE }) },
    { reason: 'repeated_parameter', sent: 'the code twice (joined with a comma)', query: (state: string) => ({ state, code: `${CODE},other-code` }) },
  ])('refuses $sent as $reason without spending the state or calling Pinterest', async ({ reason, query }) => {
    const memory = await signingIn();
    await expect(memory.callback(query(memory.browser.state))).resolves.toEqual({ kind: 'invalid_request', reason });
    expect(memory.state.oauth.states.size).toBe(1);
    expect(memory.state.pinterest.calls).toEqual([]);
    expect(callbackLog(memory)).toEqual([expect.objectContaining({ outcome: 'client_error', errorCode: reason })]);
  });

  it('records a declined authorization and never calls the token endpoint', async () => {
    const memory = await signingIn();
    const outcome = await memory.callback({ state: memory.browser.state, error: 'access_denied', error_description: 'The user declined' });
    expect(outcome).toEqual({ kind: 'declined', environment: 'sandbox', error: 'access_denied', description: 'The user declined' });
    expect(memory.state.pinterest.calls).toEqual([]);
    expect(memory.state.oauth.states.size).toBe(0);
    expect(callbackLog(memory)).toEqual([
      expect.objectContaining({
        outcome: 'client_error',
        errorCode: 'authorization_declined',
        detail: expect.objectContaining({ environment: 'sandbox', error: 'access_denied', errorDescription: 'The user declined' }),
      }),
    ]);
  });

  it('lets error= win over a code sent alongside it', async () => {
    const memory = await signingIn();
    const outcome = await memory.callback({ state: memory.browser.state, code: CODE, error: 'access_denied' });
    expect(outcome.kind).toBe('declined');
    expect(memory.state.pinterest.calls).toEqual([]);
    expect(memory.state.vault.stored).toEqual([]);
  });

  it('refuses a state it never issued', async () => {
    const memory = await signingIn();
    const outcome = await memory.callback({ state: 'tok_forged_state_00000000000000000000000000', code: CODE });
    expect(outcome).toEqual({ kind: 'invalid_request', reason: 'unknown_state' });
    expect(memory.state.pinterest.calls).toEqual([]);
    expect(memory.state.oauth.states.size).toBe(1);
    expect(callbackLog(memory)).toEqual([expect.objectContaining({ outcome: 'client_error', errorCode: 'unknown_state' })]);
  });

  it('refuses a state used once already: the code is exchanged only once', async () => {
    const memory = await signingIn();
    connection(await memory.callback());
    await expect(memory.callback()).resolves.toEqual({ kind: 'invalid_request', reason: 'unknown_state' });
    expect(memory.state.pinterest.callsTo('exchangeCode')).toHaveLength(1);
  });

  it('refuses an expired state as unknown', async () => {
    const memory = await signingIn();
    memory.state.clock.advance(10 * 60_000);
    await expect(memory.callback()).resolves.toEqual({ kind: 'invalid_request', reason: 'unknown_state' });
    expect(memory.state.pinterest.calls).toEqual([]);
  });

  it.each([
    ['another nonce', [`${NONCE_COOKIE}=tok_someone_elses_nonce_0000000000000000000`]],
    ['no nonce cookie', undefined],
  ])('refuses a browser with %s, keeping the state so the right browser then connects', async (_case, cookies) => {
    const memory = await signingIn();
    const elsewhere = completeCallback(memory.deps, { query: { state: memory.browser.state, code: CODE }, cookies, request: facts });
    await expect(elsewhere).resolves.toEqual({ kind: 'invalid_request', reason: 'wrong_browser' });
    expect(memory.state.pinterest.calls).toEqual([]);
    expect(callbackLog(memory)).toEqual([
      expect.objectContaining({ outcome: 'denied', errorCode: 'wrong_browser', detail: expect.objectContaining({ environment: 'sandbox', stateKept: true }) }),
    ]);
    expect(connection(await memory.callback()).kind).toBe('pending_confirmation');
  });

  it('throws NotConfiguredError without the app credentials, before the state is spent', async () => {
    const memory = await signingIn();
    const credentials = memory.state.app.credentials;
    memory.state.app.remove();
    await expect(memory.callback()).rejects.toThrow(NotConfiguredError);
    expect(memory.state.oauth.states.size).toBe(1);
    expect(memory.state.pinterest.calls).toEqual([]);
    expect(callbackLog(memory)).toEqual([expect.objectContaining({ outcome: 'server_error', errorCode: 'not_configured' })]);
    memory.state.app.credentials = credentials;
    expect(connection(await memory.callback()).kind).toBe('pending_confirmation');
  });
});

describe('completeCallback: a first connection', () => {
  it('exchanges the code at the state environment with the same redirect URI, then reads the account with the new token', async () => {
    const memory = await signingIn({}, 'production');
    await memory.callback();
    expect(memory.state.pinterest.calls).toEqual([
      { op: 'exchangeCode', environment: 'production', clientId: 'test-client-id', code: CODE, redirectUri: 'https://publisher.example.test/oauth/callback', timeoutMs: 8000 },
      { op: 'userAccount', environment: 'production', accessToken: 'pina_access_1', timeoutMs: 8000 },
    ]);
  });

  it('stores the tokens in a new secret and the account as pending confirmation when nothing is pinned', async () => {
    const memory = await signingIn();
    const outcome = connection(await memory.callback());
    const secretName = 'tokens/sandbox/1000000000000000001/id-2';
    // The secret describes itself: its version and expiries, so a later refresh can catch the account up.
    const account = memory.state.accounts.record('sandbox');
    expect(memory.state.vault.secrets).toEqual(
      new Map([[secretName, { accessToken: 'pina_access_1', refreshToken: 'pinr_refresh_1', tokenVersion: 1, accessTokenExpiresAt: account?.accessTokenExpiresAt, refreshTokenExpiresAt: account?.refreshTokenExpiresAt }]]),
    );
    const stored = {
      environment: 'sandbox',
      status: 'pending_confirmation',
      accountId: MIRA.id,
      username: 'mira',
      accountType: 'BUSINESS',
      businessName: 'Mira Digital Zen',
      scopes: ['boards:read', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read'],
      connectionId: 'id-2',
      secretName,
      accessTokenExpiresAt: '2026-03-31T09:00:00.000Z',
      refreshTokenExpiresAt: '2027-03-01T09:00:00.000Z',
      tokenVersion: 1,
      connectedAt: '2026-03-01T09:00:00.000Z',
      version: 1,
    };
    expect(outcome).toEqual({ kind: 'pending_confirmation', account: stored, missing: [] });
    expect(memory.state.accounts.record('sandbox')).toEqual(stored);
  });

  it('logs the success with hashes of the code and state, the scopes and the account, never a token or the code', async () => {
    const memory = await signingIn();
    await memory.callback();
    const key = memory.state.hashingKey;
    expect(callbackLog(memory)).toEqual([
      expect.objectContaining({
        outcome: 'ok',
        detail: {
          stateHash: keyedHash(key, 'oauth-state', memory.browser.state),
          codeHash: keyedHash(key, 'oauth-code', CODE),
          environment: 'sandbox',
          accountId: MIRA.id,
          scopes: ['boards:read', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read'],
          status: 'pending_confirmation',
          connectionId: 'id-2',
        },
      }),
    ]);
    const logged = JSON.stringify(memory.state.log.entries);
    for (const secret of [CODE, memory.browser.state, 'pina_access_1', 'pinr_refresh_1']) expect(logged).not.toContain(secret);
  });

  it('takes the refresh expiry from refresh_token_expires_at when Pinterest sends it', async () => {
    const memory = await signingIn();
    memory.state.pinterest.answerTokens({ refresh_token_expires_in: undefined, refresh_token_expires_at: 1_800_000_000 });
    const outcome = connection(await memory.callback());
    expect(outcome.account.refreshTokenExpiresAt).toBe(new Date(1_800_000_000_000).toISOString());
  });

  it('connects (confirmed) an account that matches the configured expected id', async () => {
    const memory = await signingIn({ settings: { expectedAccountId: MIRA.id } });
    const outcome = connection(await memory.callback());
    expect(outcome.kind).toBe('connected');
    expect(memory.state.accounts.record('sandbox')).toMatchObject({ status: 'connected', confirmedAt: '2026-03-01T09:00:00.000Z' });
  });

  it('connects an account that matches the id pinned by an earlier confirmation', async () => {
    const memory = await signingIn();
    memory.state.accounts.seedPin('sandbox', MIRA.id);
    expect(connection(await memory.callback()).kind).toBe('connected');
    expect(memory.state.accounts.record('sandbox')?.status).toBe('connected');
  });

  it('stores an account missing publishing scopes as missing_scopes and says which', async () => {
    const memory = await signingIn();
    memory.state.pinterest.answerTokens({ scope: 'boards:read pins:read user_accounts:read' });
    const outcome = connection(await memory.callback());
    expect(outcome).toMatchObject({ kind: 'missing_scopes', missing: ['boards:write', 'pins:write'] });
    expect(memory.state.accounts.record('sandbox')?.status).toBe('missing_scopes');
  });
});

describe('completeCallback: nothing stored when the account or Pinterest is wrong', () => {
  it.each([
    ['configured', { settings: { expectedAccountId: MIRA.id } }, undefined],
    ['confirmed', {}, MIRA.id],
  ] as const)('refuses another account than the %s one: no secret, no account', async (source, overrides, pinned) => {
    const memory = await signingIn(overrides);
    if (pinned !== undefined) memory.state.accounts.seedPin('sandbox', pinned);
    memory.state.pinterest.signInAs(OTHER_ACCOUNT);
    const outcome = await memory.callback();
    expect(outcome).toEqual({ kind: 'wrong_account', environment: 'sandbox', username: OTHER_ACCOUNT.username, accountId: OTHER_ACCOUNT.id });
    expect(memory.state.vault.stored).toEqual([]);
    expect(memory.state.accounts.record('sandbox')).toBeUndefined();
    expect(callbackLog(memory)).toEqual([
      expect.objectContaining({ outcome: 'denied', errorCode: 'wrong_account', detail: expect.objectContaining({ accountId: OTHER_ACCOUNT.id, expectedSource: source }) }),
    ]);
  });

  it('leaves the connected account and its secret alone when another account signs in', async () => {
    const memory = await signingIn();
    const previous = accountRecord({ status: 'connected', confirmedAt: '2026-02-28T10:00:00.000Z' });
    memory.state.accounts.seed(previous);
    memory.state.accounts.seedPin('sandbox', previous.accountId);
    memory.state.vault.seed(previous.secretName, { accessToken: 'pina_old', refreshToken: 'pinr_old' });
    memory.state.pinterest.signInAs(OTHER_ACCOUNT);
    expect((await memory.callback()).kind).toBe('wrong_account');
    expect(memory.state.accounts.record('sandbox')).toEqual(previous);
    expect([...memory.state.vault.secrets.keys()]).toEqual([previous.secretName]);
    expect(memory.state.vault.deleted).toEqual([]);
  });

  it.each([
    ['an invalid code', new PinterestApiError('sandbox', 400, 283, 'Invalid authorization code', 'rid-1', {}), 'token exchange failed: invalid_grant (HTTP 400, code 283)'],
    ['an unreachable Pinterest', new PinterestNetworkError('sandbox', true, 'ECONNREFUSED'), 'token exchange failed: ECONNREFUSED'],
    ['a failure that is not Pinterest\u2019s', new Error('socket said pina_SENTINEL_do_not_log'), 'token exchange failed: unexpected error'],
  ])('answers pinterest_failed with a safe summary for %s at the token endpoint, storing nothing', async (_case, error, reason) => {
    const memory = await signingIn();
    memory.state.pinterest.failExchange(error);
    await expect(memory.callback()).resolves.toEqual({ kind: 'pinterest_failed', environment: 'sandbox', reason });
    expect(memory.state.pinterest.callsTo('userAccount')).toEqual([]);
    expect(memory.state.vault.stored).toEqual([]);
    expect(memory.state.accounts.record('sandbox')).toBeUndefined();
    expect(callbackLog(memory)).toEqual([expect.objectContaining({ outcome: 'server_error', errorCode: 'pinterest_failed', detail: expect.objectContaining({ reason }) })]);
    expect(JSON.stringify(memory.state.log.entries)).not.toContain('SENTINEL');
  });

  it('answers pinterest_failed when the account lookup fails, storing nothing', async () => {
    const memory = await signingIn();
    memory.state.pinterest.failUserAccount(new PinterestApiError('sandbox', 503, undefined, 'Service unavailable', undefined, {}));
    await expect(memory.callback()).resolves.toEqual({ kind: 'pinterest_failed', environment: 'sandbox', reason: 'account lookup failed: server_error (HTTP 503)' });
    expect(memory.state.vault.stored).toEqual([]);
    expect(memory.state.accounts.record('sandbox')).toBeUndefined();
  });

  it('answers pinterest_failed when Pinterest returns no refresh token, without using or storing the token', async () => {
    const memory = await signingIn();
    memory.state.pinterest.answerTokens({ refresh_token: undefined });
    await expect(memory.callback()).resolves.toEqual({ kind: 'pinterest_failed', environment: 'sandbox', reason: 'Pinterest returned no refresh token' });
    expect(memory.state.pinterest.callsTo('userAccount')).toEqual([]);
    expect(memory.state.vault.stored).toEqual([]);
    expect(memory.state.accounts.record('sandbox')).toBeUndefined();
  });
});

describe('completeCallback: reconnecting and racing', () => {
  it('replaces the previous connection at the next version and deletes its secret', async () => {
    const memory = await signingIn();
    const previous = accountRecord({ version: 3 });
    memory.state.accounts.seed(previous);
    memory.state.vault.seed(previous.secretName, { accessToken: 'pina_old', refreshToken: 'pinr_old' });
    const outcome = connection(await memory.callback());
    expect(outcome.account).toMatchObject({ version: 4, connectionId: 'id-2', secretName: 'tokens/sandbox/1000000000000000001/id-2' });
    expect(memory.state.accounts.record('sandbox')).toEqual(outcome.account);
    expect(memory.state.vault.deleted).toEqual([previous.secretName]);
    expect([...memory.state.vault.secrets.keys()]).toEqual([outcome.account.secretName]);
  });

  it('does not carry over optional fields the new connection lacks', async () => {
    const memory = await signingIn();
    memory.state.accounts.seed(accountRecord({ refreshLockUntil: 1_700_000_000 }));
    memory.state.pinterest.signInAs({ id: MIRA.id, username: 'mira' });
    memory.state.pinterest.answerTokens({ refresh_token_expires_in: undefined });
    const outcome = connection(await memory.callback());
    for (const field of ['accountType', 'businessName', 'refreshTokenExpiresAt', 'refreshLockUntil', 'confirmedAt']) {
      expect(outcome.account).not.toHaveProperty(field);
    }
  });

  it('stays connected when the previous secret cannot be deleted, and logs old_secret_not_deleted', async () => {
    const memory = await signingIn();
    const previous = accountRecord({ status: 'connected', confirmedAt: '2026-02-28T10:00:00.000Z' });
    memory.state.accounts.seed(previous);
    memory.state.accounts.seedPin('sandbox', previous.accountId);
    memory.state.vault.seed(previous.secretName, { accessToken: 'pina_old', refreshToken: 'pinr_old' });
    memory.state.vault.failDeletes(previous.secretName);
    const outcome = connection(await memory.callback());
    expect(outcome.kind).toBe('connected');
    expect(memory.state.accounts.record('sandbox')).toMatchObject({ status: 'connected', version: 2, secretName: outcome.account.secretName });
    expect(memory.state.vault.secrets.has(previous.secretName)).toBe(true);
    expect(callbackLog(memory).map((entry) => [entry.outcome, entry.errorCode])).toEqual([
      ['server_error', 'old_secret_not_deleted'],
      ['ok', undefined],
    ]);
    expect(callbackLog(memory)[0]?.detail).toMatchObject({ environment: 'sandbox', secretName: previous.secretName });
  });

  it('loses to a connection that landed meanwhile: deletes its own new secret and answers conflict', async () => {
    const memory = await signingIn();
    const concurrent = accountRecord({ connectionId: 'concurrent', secretName: 'tokens/sandbox/1000000000000000001/concurrent' });
    memory.state.accounts.beforeNextWrite(() => {
      memory.state.accounts.seed(concurrent);
    });
    await expect(memory.callback()).resolves.toEqual({ kind: 'conflict', environment: 'sandbox' });
    expect(memory.state.vault.stored).toEqual(['tokens/sandbox/1000000000000000001/id-2']);
    expect(memory.state.vault.deleted).toEqual(['tokens/sandbox/1000000000000000001/id-2']);
    expect(memory.state.vault.secrets.size).toBe(0);
    expect(memory.state.accounts.record('sandbox')).toEqual(concurrent);
    expect(callbackLog(memory)).toEqual([expect.objectContaining({ outcome: 'client_error', errorCode: 'concurrent_connection' })]);
  });

  it('still answers conflict, and names the orphaned secret in the log, when deleting its own new secret fails', async () => {
    const memory = await signingIn();
    memory.state.accounts.beforeNextWrite(() => {
      memory.state.accounts.seed(accountRecord({ connectionId: 'concurrent', secretName: 'tokens/sandbox/1000000000000000001/concurrent' }));
    });
    memory.state.vault.failDeletes();
    await expect(memory.callback()).resolves.toEqual({ kind: 'conflict', environment: 'sandbox' });
    expect(callbackLog(memory).map((e) => [e.errorCode, e.detail?.secretName])).toEqual([
      ['new_secret_not_deleted', 'tokens/sandbox/1000000000000000001/id-2'],
      ['concurrent_connection', undefined],
    ]);
  });

  it('loses to a confirmation that landed meanwhile on the previous connection, leaving it connected', async () => {
    const memory = await signingIn();
    const previous = accountRecord({ version: 1 });
    memory.state.accounts.seed(previous);
    memory.state.accounts.beforeNextWrite(() => {
      memory.state.accounts.seed({ ...previous, status: 'connected', confirmedAt: '2026-03-01T09:00:00.000Z', version: 2 });
    });
    expect((await memory.callback()).kind).toBe('conflict');
    expect(memory.state.accounts.record('sandbox')).toMatchObject({ status: 'connected', version: 2, secretName: previous.secretName });
    expect(memory.state.vault.deleted).toEqual(['tokens/sandbox/1000000000000000001/id-2']);
  });
});
