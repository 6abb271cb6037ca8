import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { runRefreshSchedule } from '../../shared/use-cases/refresh-schedule';
import { refreshTokens } from '../../shared/use-cases/token-refresh';
import { withPinterestToken } from '../../shared/use-cases/token-source';
import { daysFromNow, memoryTokenDeps, seedConnection, storedAccount, storedSecret, tokenSettings, type TokenState } from '../support/memory-tokens';

const ALWAYS = () => true;
const DAY_MS = 86_400_000;

function setUp(options: Parameters<typeof seedConnection>[2] = { accessDays: 3 }) {
  const memory = memoryTokenDeps();
  const seeded = seedConnection(memory.state, 'sandbox', options);
  return { ...memory, ...seeded };
}

/** The account-kind log entries with this step. */
function logged(state: TokenState, step: string) {
  return state.log.ofKind('account').filter((entry) => entry.detail?.step === step);
}

/** What a caller does with a token: asks Pinterest whose it is, and answers the token used. */
const userAccountCall = (state: TokenState, env: PinterestEnvironment) => async (token: string) => {
  await state.pinterest.userAccount(env, token);
  return token;
};

describe('refreshTokens: a refresh rotates the tokens', () => {
  it('stores the new access and refresh tokens as the next secret version, with their expiries', async () => {
    const { deps, state, account, secret } = setUp();
    const outcome = await refreshTokens(deps, 'sandbox', ALWAYS);

    expect(state.pinterest.callsTo('refresh')).toEqual([{ op: 'refresh', environment: 'sandbox', clientId: 'test-client-id', refreshToken: secret.refreshToken }]);
    const stored = state.vault.secrets.get(account.secretName);
    expect(stored).toEqual({
      accessToken: 'pina_access_1',
      refreshToken: 'pinr_refresh_1',
      tokenVersion: 2,
      accessTokenExpiresAt: daysFromNow(state.clock, 30),
      refreshTokenExpiresAt: daysFromNow(state.clock, 60),
    });
    expect(outcome).toEqual({ kind: 'refreshed', secret: stored });
  });

  it('brings the account level with the secret: expiries, token version and lastRefreshAt, and releases the lease', async () => {
    const { deps, state, account } = setUp();
    await refreshTokens(deps, 'sandbox', ALWAYS);
    const after = storedAccount(state, 'sandbox');
    expect(after).toMatchObject({
      status: 'connected',
      tokenVersion: 2,
      accessTokenExpiresAt: daysFromNow(state.clock, 30),
      refreshTokenExpiresAt: daysFromNow(state.clock, 60),
      lastRefreshAt: state.clock.now().toISOString(),
    });
    expect(after.refreshLockUntil).toBeUndefined();
    expect(after.refreshLeaseId).toBeUndefined();
    // Two writes: the lease, then the metadata with the lease released.
    expect(after.version).toBe(account.version + 2);
  });

  it('makes the old refresh token worthless at Pinterest and the new one the only one accepted', async () => {
    const { deps, state, secret } = setUp();
    await refreshTokens(deps, 'sandbox', ALWAYS);
    expect(state.pinterest.acceptsRefreshToken('sandbox', secret.refreshToken)).toBe(false);
    expect(state.pinterest.liveRefreshTokens('sandbox')).toEqual([storedSecret(state, 'sandbox')?.refreshToken]);
  });

  it('logs a refreshed entry with the new version, never a token', async () => {
    const { deps, state, secret } = setUp();
    await refreshTokens(deps, 'sandbox', ALWAYS);
    expect(logged(state, 'refreshed')).toEqual([
      expect.objectContaining({
        kind: 'account',
        outcome: 'ok',
        detail: { environment: 'sandbox', accountId: '1000000000000000001', step: 'refreshed', tokenVersion: 2, rotated: 'yes' },
      }),
    ]);
    const text = JSON.stringify(state.log.entries);
    for (const token of [secret.accessToken, secret.refreshToken, 'pina_access_1', 'pinr_refresh_1']) expect(text).not.toContain(token);
  });

  it('keeps the old refresh token and its expiry when the answer carries no refresh token', async () => {
    const { deps, state, account, secret } = setUp();
    state.pinterest.answerRefresh({ refresh_token: undefined, refresh_token_expires_in: undefined });
    await refreshTokens(deps, 'sandbox', ALWAYS);
    expect(state.vault.secrets.get(account.secretName)).toEqual({
      accessToken: 'pina_access_1',
      refreshToken: secret.refreshToken,
      tokenVersion: 2,
      accessTokenExpiresAt: daysFromNow(state.clock, 30),
      refreshTokenExpiresAt: secret.refreshTokenExpiresAt,
    });
    expect(storedAccount(state, 'sandbox')).toMatchObject({ tokenVersion: 2, refreshTokenExpiresAt: secret.refreshTokenExpiresAt });
    expect(state.pinterest.acceptsRefreshToken('sandbox', secret.refreshToken)).toBe(true);
    expect(logged(state, 'refreshed')[0]?.detail).toMatchObject({ rotated: 'no' });
  });

  it('ignores a refresh expiry that comes without a refresh token', async () => {
    const { deps, state, secret } = setUp();
    state.pinterest.answerRefresh({ refresh_token: undefined, refresh_token_expires_in: 999_999 });
    await refreshTokens(deps, 'sandbox', ALWAYS);
    expect(storedSecret(state, 'sandbox')?.refreshTokenExpiresAt).toBe(secret.refreshTokenExpiresAt);
  });

  it('takes the refresh expiry from refresh_token_expires_at when Pinterest sends it', async () => {
    const { deps, state } = setUp();
    state.pinterest.answerRefresh({ refresh_token_expires_in: undefined, refresh_token_expires_at: 1_800_000_000 });
    await refreshTokens(deps, 'sandbox', ALWAYS);
    expect(storedSecret(state, 'sandbox')?.refreshTokenExpiresAt).toBe('2027-01-15T08:00:00.000Z');
    expect(storedAccount(state, 'sandbox').refreshTokenExpiresAt).toBe('2027-01-15T08:00:00.000Z');
  });

  it('reads a secret written before the lifecycle (no version, no expiries) as version 1 and writes version 2', async () => {
    const { deps, state, account, secret } = setUp();
    state.vault.seed(account.secretName, { accessToken: secret.accessToken, refreshToken: secret.refreshToken });
    await refreshTokens(deps, 'sandbox', ALWAYS);
    expect(storedSecret(state, 'sandbox')).toMatchObject({ tokenVersion: 2, refreshToken: 'pinr_refresh_1' });
    expect(storedAccount(state, 'sandbox').tokenVersion).toBe(2);
  });

  it('ends a failing episode: clears refreshFailingSince and the refresh_failing and refresh_token_lost notices, keeps the others', async () => {
    const since = '2026-02-27T09:00:00.000Z';
    const { deps, state } = setUp({
      accessDays: 3,
      account: { refreshFailingSince: since, notices: { refresh_failing: since, refresh_token_lost: since, refresh_token_expiring: since } },
    });
    await refreshTokens(deps, 'sandbox', ALWAYS);
    const after = storedAccount(state, 'sandbox');
    expect(after.refreshFailingSince).toBeUndefined();
    expect(after.notices).toEqual({ refresh_token_expiring: since });
  });

  it('does not call Pinterest when the caller no longer needs a refresh, and takes no lease', async () => {
    const { deps, state, account, secret } = setUp();
    await expect(refreshTokens(deps, 'sandbox', () => false)).resolves.toEqual({ kind: 'not_needed', secret });
    expect(state.pinterest.calls).toEqual([]);
    expect(storedAccount(state, 'sandbox')).toEqual(account);
  });

  it.each([
    ['reauthorization_required', { status: 'reauthorization_required' as const }],
    ['disconnected', { status: 'disconnected' as const }],
  ])('answers not_live for a %s account without calling Pinterest', async (_name, change) => {
    const { deps, state } = setUp({ accessDays: 3, account: change });
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).resolves.toEqual({ kind: 'not_live' });
    expect(state.pinterest.calls).toEqual([]);
  });

  it('answers not_live when no account is connected, or its secret is gone', async () => {
    const { deps, state, account } = setUp();
    await expect(refreshTokens(deps, 'production', ALWAYS)).resolves.toEqual({ kind: 'not_live' });
    state.vault.secrets.delete(account.secretName);
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).resolves.toEqual({ kind: 'not_live' });
    expect(state.pinterest.calls).toEqual([]);
  });
});

describe('refreshTokens: a refresh that fails without a refusal', () => {
  it.each([
    ['a 5xx', 'server_error' as const, 'server_error', 'server_error (HTTP 503)'],
    ['a 429', 'rate_limited' as const, 'rate_limited', 'rate_limited (HTTP 429, code 8)'],
    ['a network error before sending', 'not_sent' as const, 'not_sent', 'connect ECONNREFUSED'],
  ])('on %s answers failed, keeps the tokens, notes since when it fails and releases the lease', async (_name, failure, code, summary) => {
    const { deps, state, account, secret } = setUp();
    state.pinterest.failRefresh(failure);
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).resolves.toEqual({ kind: 'failed', code, summary });
    const after = storedAccount(state, 'sandbox');
    expect(after).toMatchObject({ status: 'connected', tokenVersion: 1, refreshFailingSince: state.clock.now().toISOString() });
    expect(after.refreshLockUntil).toBeUndefined();
    expect(after.refreshLeaseId).toBeUndefined();
    expect(state.vault.secrets.get(account.secretName)).toEqual(secret);
    expect(state.pinterest.acceptsRefreshToken('sandbox', secret.refreshToken)).toBe(true);
    expect(logged(state, 'refresh_failed')).toEqual([
      expect.objectContaining({ outcome: 'server_error', errorCode: 'refresh_failed', detail: expect.objectContaining({ reason: summary }) }),
    ]);
    expect(state.notifier.sent).toEqual([]);
  });

  it('keeps the time of the first failure on later failures', async () => {
    const { deps, state } = setUp();
    const first = state.clock.now().toISOString();
    state.pinterest.failRefresh('server_error', 'rate_limited');
    await refreshTokens(deps, 'sandbox', ALWAYS);
    state.clock.advance(3_600_000);
    await refreshTokens(deps, 'sandbox', ALWAYS);
    expect(storedAccount(state, 'sandbox').refreshFailingSince).toBe(first);
  });

  it('the next refresh after a failure works with the same refresh token', async () => {
    const { deps, state, secret } = setUp();
    state.pinterest.failRefresh('server_error');
    await refreshTokens(deps, 'sandbox', ALWAYS);
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).resolves.toMatchObject({ kind: 'refreshed' });
    expect(state.pinterest.callsTo('refresh').map((call) => call.refreshToken)).toEqual([secret.refreshToken, secret.refreshToken]);
  });
});

describe('refreshTokens: single flight', () => {
  it('ten concurrent calls whose access token is refused share ONE Pinterest refresh and all succeed with the new token', async () => {
    const { state, container, secret } = setUp({ accessDays: 20 });
    state.pinterest.expireAccessTokens('sandbox');
    const start = state.clock.now().getTime();
    // Ten Lambda containers, each with its own secret cache.
    const used = await Promise.all(Array.from({ length: 10 }, () => withPinterestToken(container(), 'sandbox', userAccountCall(state, 'sandbox'))));

    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
    const stored = storedSecret(state, 'sandbox');
    expect(stored).toMatchObject({ accessToken: 'pina_access_1', refreshToken: 'pinr_refresh_1', tokenVersion: 2 });
    expect(used).toEqual(Array.from({ length: 10 }, () => 'pina_access_1'));
    // Each call: refused once with the old token, answered once with the new one.
    const tokensUsed = state.pinterest.callsTo('userAccount').map((call) => call.accessToken);
    expect(tokensUsed.filter((token) => token === secret.accessToken)).toHaveLength(10);
    expect(tokensUsed.filter((token) => token === 'pina_access_1')).toHaveLength(10);
    expect(storedAccount(state, 'sandbox')).toMatchObject({ status: 'connected', tokenVersion: 2 });
    expect(storedAccount(state, 'sandbox').refreshLockUntil).toBeUndefined();
    // The others waited for the lease's holder, not for the lease to run out.
    expect(state.clock.now().getTime() - start).toBeLessThan(tokenSettings.leaseMs);
    expect(state.notifier.sent).toEqual([]);
  });

  it('ten concurrent calls in one container also refresh once', async () => {
    const { deps, state } = setUp({ accessDays: 20 });
    state.pinterest.expireAccessTokens('sandbox');
    const used = await Promise.all(Array.from({ length: 10 }, () => withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))));
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
    expect(new Set(used)).toEqual(new Set(['pina_access_1']));
  });

  it('a caller that finds another refresh running uses its result: joined, without a second Pinterest refresh', async () => {
    const { deps, state, container } = setUp();
    const hold = state.pinterest.holdRefresh('answer');
    const first = refreshTokens(deps, 'sandbox', ALWAYS);
    await hold.reached;
    const second = refreshTokens(container(), 'sandbox', (_account, secret) => secret.tokenVersion === 1);
    // The second waits on the lease while the first is held.
    await new Promise((resolve) => setImmediate(resolve));
    hold.release();
    await expect(first).resolves.toMatchObject({ kind: 'refreshed' });
    await expect(second).resolves.toMatchObject({ kind: 'joined', secret: { tokenVersion: 2, refreshToken: 'pinr_refresh_1' } });
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
  });

  it('a caller with a wait limit (Pin creation) gives up on a refresh another holds, without refreshing itself', async () => {
    const { deps, state, container } = setUp();
    const hold = state.pinterest.holdRefresh('answer');
    const first = refreshTokens(deps, 'sandbox', ALWAYS);
    await hold.reached;
    const hurried = container();
    const start = state.clock.now().getTime();
    const outcome = await refreshTokens({ ...hurried, settings: { ...hurried.settings, waitLimitMs: 4000 } }, 'sandbox', ALWAYS);
    expect(outcome).toEqual({ kind: 'failed', code: 'refresh_busy', summary: expect.stringContaining('still running') as unknown });
    expect(state.clock.now().getTime() - start).toBeGreaterThanOrEqual(4000);
    expect(state.clock.now().getTime() - start).toBeLessThan(tokenSettings.leaseMs);
    hold.release();
    await expect(first).resolves.toMatchObject({ kind: 'refreshed' });
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
  });
});

describe('a crash between the secret write and the account write', () => {
  function crashAfterSecretWrite(state: TokenState) {
    state.accounts.failUpdateOnce((set) => 'lastRefreshAt' in set, new Error('simulated crash'));
  }

  it('leaves the newest tokens in the secret, a version ahead of the account', async () => {
    const { deps, state, secret } = setUp();
    crashAfterSecretWrite(state);
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).rejects.toThrow('simulated crash');
    expect(storedSecret(state, 'sandbox')).toMatchObject({ tokenVersion: 2, accessToken: 'pina_access_1', refreshToken: 'pinr_refresh_1' });
    expect(storedAccount(state, 'sandbox')).toMatchObject({ tokenVersion: 1, accessTokenExpiresAt: secret.accessTokenExpiresAt });
    expect(state.pinterest.acceptsRefreshToken('sandbox', secret.refreshToken)).toBe(false);
  });

  it('the next reader catches the account up from the secret without refreshing again, and no token is lost', async () => {
    const { deps, state, container } = setUp();
    crashAfterSecretWrite(state);
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).rejects.toThrow('simulated crash');
    const written = storedSecret(state, 'sandbox');

    // The next schedule run, in another container, once the crashed holder's lease has run out.
    await expect(runRefreshSchedule(container())).resolves.toEqual({ sandbox: 'joined', production: 'not_connected' });
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
    expect(storedAccount(state, 'sandbox')).toMatchObject({
      status: 'connected',
      tokenVersion: 2,
      accessTokenExpiresAt: written?.accessTokenExpiresAt,
      refreshTokenExpiresAt: written?.refreshTokenExpiresAt,
    });
    expect(storedSecret(state, 'sandbox')).toEqual(written);
    expect(state.pinterest.liveRefreshTokens('sandbox')).toEqual([written?.refreshToken]);
    expect(state.notifier.sent).toEqual([]);

    // And the refresh after that uses the rotated refresh token.
    state.clock.advance(26 * DAY_MS);
    await expect(runRefreshSchedule(container())).resolves.toMatchObject({ sandbox: 'refreshed' });
    expect(state.pinterest.callsTo('refresh').at(-1)?.refreshToken).toBe(written?.refreshToken);
    expect(storedAccount(state, 'sandbox')).toMatchObject({ tokenVersion: 3, status: 'connected' });
  });

  it('a secret seeded a version ahead of the account is adopted by the next refresh instead of refreshed again', async () => {
    const { deps, state, account } = setUp();
    const ahead = { accessToken: 'pina_newer', refreshToken: 'pinr_newer', tokenVersion: 2, accessTokenExpiresAt: daysFromNow(state.clock, 30), refreshTokenExpiresAt: daysFromNow(state.clock, 60) };
    state.vault.seed(account.secretName, ahead);
    state.pinterest.grant('sandbox', ahead);
    await expect(refreshTokens(deps, 'sandbox', (current) => Date.parse(current.accessTokenExpiresAt) - state.clock.now().getTime() < 5 * DAY_MS)).resolves.toEqual({
      kind: 'joined',
      secret: ahead,
    });
    expect(state.pinterest.callsTo('refresh')).toEqual([]);
    expect(storedAccount(state, 'sandbox')).toMatchObject({ tokenVersion: 2, accessTokenExpiresAt: ahead.accessTokenExpiresAt, refreshTokenExpiresAt: ahead.refreshTokenExpiresAt });
  });

  it('a caller of Pinterest meanwhile gets the secret\'s newest access token', async () => {
    const { deps, state, container } = setUp();
    crashAfterSecretWrite(state);
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).rejects.toThrow('simulated crash');
    state.pinterest.expireAccessTokens('sandbox', 'pina_seed_sandbox_1');
    await expect(withPinterestToken(container(), 'sandbox', userAccountCall(state, 'sandbox'))).resolves.toBe('pina_access_1');
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
  });
});

describe('a lease that runs out while its holder is still refreshing', () => {
  it('a second refresher that used the old refresh token adopts the first one\'s tokens: connected, nothing mailed', async () => {
    const { deps, state, container, secret } = setUp();
    // A: Pinterest rotates, but its answer is slow to arrive.
    const slowAnswer = state.pinterest.holdRefresh('answer');
    const a = refreshTokens(deps, 'sandbox', ALWAYS);
    await slowAnswer.reached;
    const leased = storedAccount(state, 'sandbox');
    expect(leased.refreshLeaseId).toBeDefined();

    // B: starts after A's lease ran out, reads the secret (still the old tokens) and takes the lease.
    state.clock.advance(tokenSettings.leaseMs + 1);
    const bArrives = state.pinterest.holdRefresh('arrival');
    const b = refreshTokens(container(), 'sandbox', ALWAYS);
    await bArrives.reached;
    expect(state.pinterest.callsTo('refresh').map((call) => call.refreshToken)).toEqual([secret.refreshToken, secret.refreshToken]);
    expect(storedAccount(state, 'sandbox').refreshLeaseId).not.toBe(leased.refreshLeaseId);

    // A's answer arrives: it writes the rotated tokens (its metadata write loses: the lease is B's).
    slowAnswer.release();
    await expect(a).resolves.toMatchObject({ kind: 'refreshed', secret: { refreshToken: 'pinr_refresh_1' } });
    expect(storedSecret(state, 'sandbox')).toMatchObject({ refreshToken: 'pinr_refresh_1', tokenVersion: 2 });

    // B's refresh with the old refresh token gets 283; B reads the secret past the cache and uses A's tokens.
    const readsBefore = state.vault.reads.length;
    bArrives.release();
    await expect(b).resolves.toMatchObject({ kind: 'joined', secret: { accessToken: 'pina_access_1', refreshToken: 'pinr_refresh_1' } });
    expect(state.vault.reads.slice(readsBefore)).toEqual([{ secretName: leased.secretName, bypassCache: true }]);

    const after = storedAccount(state, 'sandbox');
    expect(after.status).toBe('connected');
    expect(after.reauthorizationReason).toBeUndefined();
    expect(after.refreshLockUntil).toBeUndefined();
    expect(after.refreshLeaseId).toBeUndefined();
    expect(state.notifier.sent).toEqual([]);
    expect(logged(state, 'reauthorization_required')).toEqual([]);
    expect(logged(state, 'refresh_token_lost')).toEqual([]);
    expect(state.pinterest.liveRefreshTokens('sandbox')).toEqual([storedSecret(state, 'sandbox')?.refreshToken]);
    // No extra account lookup was needed to decide.
    expect(state.pinterest.callsTo('userAccount')).toEqual([]);

    // The account catches up with the secret at the next refresh and keeps working.
    state.clock.advance(26 * DAY_MS);
    await expect(runRefreshSchedule(container())).resolves.toMatchObject({ sandbox: 'refreshed' });
    expect(state.pinterest.callsTo('refresh').at(-1)?.refreshToken).toBe('pinr_refresh_1');
    expect(storedAccount(state, 'sandbox')).toMatchObject({ status: 'connected', tokenVersion: 3 });
  });
});

describe('a refused refresh token (400 code 283)', () => {
  it('with the refresh token unchanged and the access token dead: reauthorization required, secret deleted, logged, mailed once', async () => {
    const { deps, state, account } = setUp();
    state.pinterest.revoke('sandbox');
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).resolves.toEqual({ kind: 'revoked' });

    const after = storedAccount(state, 'sandbox');
    expect(after).toMatchObject({ status: 'reauthorization_required', reauthorizationReason: 'refresh_refused', notices: { revoked: state.clock.now().toISOString() } });
    expect(after.refreshLockUntil).toBeUndefined();
    expect(after.refreshLeaseId).toBeUndefined();
    expect(state.vault.secrets.has(account.secretName)).toBe(false);
    expect(state.vault.deleted).toEqual([account.secretName]);
    expect(logged(state, 'reauthorization_required')).toEqual([
      expect.objectContaining({ outcome: 'denied', errorCode: 'reauthorization_required', detail: expect.objectContaining({ reason: 'refresh_refused' }) }),
    ]);
    expect(state.notifier.sent).toEqual([expect.objectContaining({ kind: 'revoked', environment: 'sandbox' })]);
    const [mail] = state.notifier.sent;
    expect(mail?.subject).toBe('Pinterest sandbox: access was revoked, connect again');
    expect(mail?.text).toContain('@mira (id 1000000000000000001)');
    expect(mail?.text).toContain('it refused the refresh token');
    expect(mail?.text).toContain('POST https://publisher.example.test/oauth/start with {"environment":"sandbox"}');
    expect(logged(state, 'operator_notified')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ notice: 'revoked' }) })]);

    // Not live any more: later refreshes do nothing and mail nothing.
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).resolves.toEqual({ kind: 'not_live' });
    await runRefreshSchedule(deps);
    expect(state.notifier.sent).toHaveLength(1);
  });

  it('with the access token still alive (the rotated answer was lost): refresh_token_lost mailed once, the account stays connected', async () => {
    const { deps, state, account, secret } = setUp();
    // The answer of a refresh Pinterest processed never arrived: the new refresh token is unknown.
    state.pinterest.failRefresh('lost_after_rotation');
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).resolves.toMatchObject({ kind: 'failed', code: 'outcome_unknown' });
    expect(state.pinterest.acceptsRefreshToken('sandbox', secret.refreshToken)).toBe(false);

    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).resolves.toEqual({ kind: 'refresh_token_lost' });
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).resolves.toEqual({ kind: 'refresh_token_lost' });

    const after = storedAccount(state, 'sandbox');
    expect(after.status).toBe('connected');
    expect(after.refreshLockUntil).toBeUndefined();
    expect(after.notices?.refresh_token_lost).toBeDefined();
    expect(state.vault.secrets.get(account.secretName)).toEqual(secret);
    expect(state.notifier.ofKind('refresh_token_lost')).toHaveLength(1);
    expect(state.notifier.ofKind('revoked')).toEqual([]);
    const [mail] = state.notifier.sent;
    expect(mail?.subject).toBe(`Pinterest sandbox: connect again before ${secret.accessTokenExpiresAt?.slice(0, 10) ?? ''}`);
    expect(logged(state, 'refresh_token_lost')).toHaveLength(2);
    // It looked whether the access token still works, with that token.
    expect(state.pinterest.callsTo('userAccount').map((call) => call.accessToken)).toEqual([secret.accessToken, secret.accessToken]);
    // The access token keeps serving calls meanwhile.
    await expect(withPinterestToken(deps, 'sandbox', userAccountCall(state, 'sandbox'))).resolves.toBe(secret.accessToken);
  });

  it('once the lost-token access token dies too, the account needs reauthorization', async () => {
    const { deps, state } = setUp();
    state.pinterest.failRefresh('lost_after_rotation');
    await refreshTokens(deps, 'sandbox', ALWAYS);
    await refreshTokens(deps, 'sandbox', ALWAYS);
    state.pinterest.expireAccessTokens('sandbox');
    await expect(refreshTokens(deps, 'sandbox', ALWAYS)).resolves.toEqual({ kind: 'revoked' });
    expect(storedAccount(state, 'sandbox').status).toBe('reauthorization_required');
    expect(state.notifier.sent.map((mail) => mail.kind)).toEqual(['refresh_token_lost', 'revoked']);
  });
});
