import { PinterestApiError } from '../../shared/adapters/pinterest/errors';
import { AppError } from '../../shared/domain/errors';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { ReauthorizationRequiredError, accountTokens, withPinterestToken } from '../../shared/use-cases/token-source';
import { unauthorized } from '../support/memory-pinterest';
import { memoryTokenDeps, seedConnection, storedAccount, storedSecret, type TokenState } from '../support/memory-tokens';
import { rejectionOf } from '../support/rejection';

function setUp(options: Parameters<typeof seedConnection>[2] = {}) {
  const memory = memoryTokenDeps();
  const seeded = seedConnection(memory.state, 'sandbox', options);
  return { ...memory, ...seeded };
}

/** A Pinterest call that needs a live access token: answers the token it used. */
const userAccountCall = (state: TokenState, env: PinterestEnvironment) => async (token: string) => {
  await state.pinterest.userAccount(env, token);
  return token;
};

function logged(state: TokenState, step: string) {
  return state.log.ofKind('account').filter((entry) => entry.detail?.step === step);
}

describe('withPinterestToken: the token every Pinterest call gets', () => {
  it('uses the stored access token as long as Pinterest accepts it, without refreshing', async () => {
    const { deps, state, secret } = setUp();
    await expect(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))).resolves.toBe(secret.accessToken);
    await expect(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))).resolves.toBe(secret.accessToken);
    expect(state.pinterest.callsTo('refresh')).toEqual([]);
    expect(state.pinterest.withTokenCalls).toEqual({ total: 2, renewed: 0 });
  });

  it('reads the secret through the cache for a call, and past it only to renew', async () => {
    const { deps, state, account } = setUp();
    await withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'));
    await withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'));
    expect(state.vault.reads).toEqual([{ secretName: account.secretName, bypassCache: false }]);
  });

  it('after a 401 code 2 mid-call: one refresh, one retry with the new token, success', async () => {
    const { deps, state, secret } = setUp();
    state.pinterest.expireAccessTokens('sandbox');
    await expect(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))).resolves.toBe('pina_access_1');
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
    expect(state.pinterest.callsTo('userAccount').map((call) => call.accessToken)).toEqual([secret.accessToken, 'pina_access_1']);
    expect(state.pinterest.withTokenCalls).toEqual({ total: 1, renewed: 1 });
    expect(storedAccount(state, 'sandbox')).toMatchObject({ status: 'connected', tokenVersion: 2 });
    expect(storedSecret(state, 'sandbox')?.accessToken).toBe('pina_access_1');
  });

  it('uses a token another container already renewed instead of refreshing again', async () => {
    const { deps, state, container, secret } = setUp();
    // This container cached the old token just before another container refreshed.
    await withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'));
    state.pinterest.expireAccessTokens('sandbox');
    await expect(withPinterestToken(container(), 'sandbox', userAccountCall(state, 'sandbox'))).resolves.toBe('pina_access_1');
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);

    await expect(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))).resolves.toBe('pina_access_1');
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
    expect(state.pinterest.callsTo('userAccount').map((call) => call.accessToken)).toEqual([secret.accessToken, secret.accessToken, 'pina_access_1', secret.accessToken, 'pina_access_1']);
  });

  it('renews only on a 401 with code 2: other errors reach the caller untouched, without a refresh', async () => {
    const { deps, state } = setUp();
    const errors = [
      new PinterestApiError('sandbox', 401, 3, 'Authorization failed.', 'rid', {}),
      new PinterestApiError('sandbox', 403, 29, 'Not permitted', 'rid', {}),
      new PinterestApiError('sandbox', 429, 8, 'Rate limit exceeded', 'rid', {}),
      new PinterestApiError('sandbox', 503, undefined, 'Service unavailable', 'rid', {}),
      new Error('not a Pinterest error'),
    ];
    for (const error of errors) {
      await expect(withPinterestToken(deps, 'sandbox', () => Promise.reject(error))).rejects.toBe(error);
    }
    expect(state.pinterest.callsTo('refresh')).toEqual([]);
    expect(storedAccount(state, 'sandbox').status).toBe('connected');
  });

  it('a renewal whose refresh fails (5xx) answers dependency_failed and leaves the account connected', async () => {
    const { deps, state } = setUp();
    state.pinterest.expireAccessTokens('sandbox');
    state.pinterest.failRefresh('server_error');
    const error = await rejectionOf(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox')), AppError);
    expect(error.code).toBe('dependency_failed');
    expect(error.message).toContain('server_error (HTTP 503)');
    expect(storedAccount(state, 'sandbox')).toMatchObject({ status: 'connected', refreshFailingSince: state.clock.now().toISOString() });
    // The next call renews.
    await expect(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))).resolves.toBe('pina_access_1');
  });

  it('a 401 again after the refresh: reauthorization required with its reason, secret deleted, logged, mailed once, ReauthorizationRequiredError', async () => {
    const { deps, state, account } = setUp();
    state.pinterest.expireAccessTokens('sandbox');
    // Pinterest refuses even the renewed token.
    const refusedEvenAfterRefresh = (token: string) => (token === 'pina_access_1' ? Promise.reject(unauthorized('sandbox')) : state.pinterest.userAccount('sandbox', token));

    const error = await rejectionOf(withPinterestToken(deps, 'sandbox', refusedEvenAfterRefresh), ReauthorizationRequiredError);
    expect(error.code).toBe('conflict');
    expect(error.details).toEqual({ currentState: 'reauthorization_required' });
    expect(error.message).toContain('POST /oauth/start');
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);

    expect(storedAccount(state, 'sandbox')).toMatchObject({ status: 'reauthorization_required', reauthorizationReason: 'token_refused_after_refresh' });
    expect(state.vault.secrets.has(account.secretName)).toBe(false);
    expect(logged(state, 'reauthorization_required')).toEqual([
      expect.objectContaining({ outcome: 'denied', errorCode: 'reauthorization_required', detail: expect.objectContaining({ reason: 'token_refused_after_refresh' }) }),
    ]);
    expect(state.notifier.sent).toEqual([expect.objectContaining({ kind: 'revoked', environment: 'sandbox' })]);
    expect(state.notifier.sent[0]?.text).toContain('it refused the access token even right after a refresh');
    expect(storedAccount(state, 'sandbox').notices?.revoked).toBe(state.clock.now().toISOString());

    // Later calls are refused at once, without Pinterest, and nothing more is mailed.
    const calls = state.pinterest.calls.length;
    await expect(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))).rejects.toThrow(ReauthorizationRequiredError);
    expect(state.pinterest.calls).toHaveLength(calls);
    expect(state.notifier.sent).toHaveLength(1);
  });

  it('revoked at Pinterest: the refresh gets 283 with the refresh token unchanged and the access token dead, so reauthorization is required', async () => {
    const { deps, state, account } = setUp();
    state.pinterest.revoke('sandbox');
    await expect(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))).rejects.toThrow(ReauthorizationRequiredError);
    expect(storedAccount(state, 'sandbox')).toMatchObject({ status: 'reauthorization_required', reauthorizationReason: 'refresh_refused' });
    expect(state.vault.secrets.has(account.secretName)).toBe(false);
    expect(state.notifier.ofKind('revoked')).toHaveLength(1);
    expect(logged(state, 'reauthorization_required')).toHaveLength(1);
  });

  it('ten concurrent calls on a revoked connection: all refused, one refresh attempt, one mail', async () => {
    const { state, container } = setUp();
    state.pinterest.revoke('sandbox');
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => withPinterestToken(container(), 'sandbox', userAccountCall(state, 'sandbox'))));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ReauthorizationRequiredError);
    }
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
    expect(state.notifier.sent).toEqual([expect.objectContaining({ kind: 'revoked' })]);
    expect(storedAccount(state, 'sandbox').status).toBe('reauthorization_required');
  });

  it.each([
    ['reauthorization_required', { status: 'reauthorization_required' as const }],
    ['disconnected', { status: 'disconnected' as const }],
  ])('refuses a %s account with ReauthorizationRequiredError without calling Pinterest', async (_name, change) => {
    const { deps, state } = setUp({ account: change });
    await expect(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))).rejects.toThrow(ReauthorizationRequiredError);
    expect(state.pinterest.calls).toEqual([]);
  });

  it('refuses an environment without an account', async () => {
    const { deps, state } = setUp();
    await expect(withPinterestToken(deps, 'production', userAccountCall(state, 'production'))).rejects.toThrow(ReauthorizationRequiredError);
    expect(state.pinterest.calls).toEqual([]);
  });

  it('works for a pending_confirmation or missing_scopes account too (their tokens are live)', async () => {
    for (const status of ['pending_confirmation', 'missing_scopes'] as const) {
      const { deps, state } = setUp({ account: { status } });
      state.pinterest.expireAccessTokens('sandbox');
      await expect(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))).resolves.toBe('pina_access_1');
      expect(storedAccount(state, 'sandbox').status).toBe(status);
    }
  });
});

describe('accountTokens', () => {
  it('renews a refused token only while it is still the current one, and says it renewed', async () => {
    const { deps, state, secret } = setUp();
    const tokens = accountTokens(deps, 'sandbox');
    expect(tokens.renewed).toBe(false);
    await expect(tokens.current()).resolves.toBe(secret.accessToken);
    await expect(tokens.renewAfterUnauthorized(secret.accessToken)).resolves.toBe('pina_access_1');
    expect(tokens.renewed).toBe(true);
    // A token that is no longer current is not refreshed again: the current one is answered.
    await expect(accountTokens(deps, 'sandbox').renewAfterUnauthorized(secret.accessToken)).resolves.toBe('pina_access_1');
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
  });

  it('tells a caller whose refresh lost its secret to a disconnect that the connection needs reauthorization', async () => {
    const { deps, state, account } = setUp();
    state.pinterest.expireAccessTokens('sandbox');
    const hold = state.pinterest.holdRefresh('answer');
    const call = withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'));
    await hold.reached;
    // A disconnect deletes the secret while Pinterest's answer is on its way.
    await state.vault.delete(account.secretName);
    hold.release();
    await expect(rejectionOf(call, AppError)).resolves.toBeInstanceOf(ReauthorizationRequiredError);
    expect(state.vault.secrets.has(account.secretName)).toBe(false);
  });
});
