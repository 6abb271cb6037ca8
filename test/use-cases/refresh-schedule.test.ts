import { accountView } from '../../shared/domain/account';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { runRefreshSchedule } from '../../shared/use-cases/refresh-schedule';
import { daysFromNow, memoryTokenDeps, seedConnection, storedAccount, storedSecret, type TokenState } from '../support/memory-tokens';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function setUp() {
  return memoryTokenDeps();
}

const refreshedWith = (state: TokenState, env: PinterestEnvironment) => state.pinterest.callsTo('refresh').filter((call) => call.environment === env);

describe('runRefreshSchedule: when it refreshes', () => {
  it('refreshes an access token with fewer than REFRESH_ACCESS_DAYS left', async () => {
    const { deps, state } = setUp();
    seedConnection(state, 'sandbox', { accessDays: 4.9 });
    await expect(runRefreshSchedule(deps)).resolves.toEqual({ sandbox: 'refreshed', production: 'not_connected' });
    expect(storedAccount(state, 'sandbox')).toMatchObject({ tokenVersion: 2, accessTokenExpiresAt: daysFromNow(state.clock, 30) });
  });

  it('leaves tokens with REFRESH_ACCESS_DAYS or more left alone, calling nothing', async () => {
    const { deps, state } = setUp();
    const { account } = seedConnection(state, 'sandbox', { accessDays: 5.1 });
    await expect(runRefreshSchedule(deps)).resolves.toEqual({ sandbox: 'not_due', production: 'not_connected' });
    expect(state.pinterest.calls).toEqual([]);
    expect(storedAccount(state, 'sandbox')).toEqual(account);
  });

  it('refreshes a fresh access token when the refresh token has fewer than REFRESH_WARN_DAYS left', async () => {
    const { deps, state } = setUp();
    seedConnection(state, 'sandbox', { accessDays: 30, refreshDays: 19 });
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'refreshed' });
    expect(storedAccount(state, 'sandbox').refreshTokenExpiresAt).toBe(daysFromNow(state.clock, 60));
    expect(state.notifier.sent).toEqual([]);
  });

  it('does not refresh for a refresh token with REFRESH_WARN_DAYS or more left', async () => {
    const { deps, state } = setUp();
    seedConnection(state, 'sandbox', { accessDays: 30, refreshDays: 20.5 });
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'not_due' });
    expect(state.notifier.sent).toEqual([]);
  });

  it.each([
    // Its revocation already finished (the operator was told): nothing left to do.
    ['reauthorization_required', { status: 'reauthorization_required' as const, reauthorizationReason: 'refresh_refused', notices: { revoked: '2026-02-28T09:00:00.000Z' } }],
    ['disconnected', { status: 'disconnected' as const, disconnectedAt: '2026-02-28T09:00:00.000Z' }],
  ])('skips a %s account: no refresh, no mail, nothing written', async (_name, change) => {
    const { deps, state } = setUp();
    const { account } = seedConnection(state, 'sandbox', { accessDays: 1, refreshDays: 2, account: change });
    await expect(runRefreshSchedule(deps)).resolves.toEqual({ sandbox: 'not_connected', production: 'not_connected' });
    expect(state.pinterest.calls).toEqual([]);
    expect(state.notifier.sent).toEqual([]);
    expect(storedAccount(state, 'sandbox')).toEqual(account);
  });

  it('finishes a revocation whose mail failed earlier: mails once, deletes the secret, no refresh', async () => {
    const { deps, state } = setUp();
    const { account } = seedConnection(state, 'sandbox', { accessDays: 1, refreshDays: 2, account: { status: 'reauthorization_required', reauthorizationReason: 'refresh_refused' } });
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'not_connected' });
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'not_connected' });
    expect(state.pinterest.calls).toEqual([]);
    expect(state.notifier.sent.map((mail) => mail.kind)).toEqual(['revoked']);
    expect(state.vault.secrets.has(account.secretName)).toBe(false);
  });

  it('retries a refresh that failed on demand even while not yet due, and clears the failure when it works', async () => {
    const { deps, state } = setUp();
    seedConnection(state, 'sandbox', { accessDays: 30, refreshDays: 60, account: { refreshFailingSince: '2026-03-01T08:00:00.000Z' } });
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'refreshed' });
    expect(state.pinterest.callsTo('refresh')).toHaveLength(1);
    expect(storedAccount(state, 'sandbox').refreshFailingSince).toBeUndefined();
  });

  it('answers not_connected for environments without an account', async () => {
    const { deps, state } = setUp();
    await expect(runRefreshSchedule(deps)).resolves.toEqual({ sandbox: 'not_connected', production: 'not_connected' });
    expect(state.pinterest.calls).toEqual([]);
  });

  it('handles both environments, each with its own tokens and due date', async () => {
    const { deps, state } = setUp();
    const sandbox = seedConnection(state, 'sandbox', { accessDays: 2 });
    const production = seedConnection(state, 'production', { accessDays: 12 });
    await expect(runRefreshSchedule(deps)).resolves.toEqual({ sandbox: 'refreshed', production: 'not_due' });
    state.clock.advance(8 * DAY_MS);
    await expect(runRefreshSchedule(deps)).resolves.toEqual({ sandbox: 'not_due', production: 'refreshed' });
    expect(refreshedWith(state, 'sandbox').map((call) => call.refreshToken)).toEqual([sandbox.secret.refreshToken]);
    expect(refreshedWith(state, 'production').map((call) => call.refreshToken)).toEqual([production.secret.refreshToken]);
    expect(storedSecret(state, 'sandbox')?.refreshToken).not.toBe(storedSecret(state, 'production')?.refreshToken);
    expect(state.pinterest.liveRefreshTokens('sandbox')).toEqual([storedSecret(state, 'sandbox')?.refreshToken]);
    expect(state.pinterest.liveRefreshTokens('production')).toEqual([storedSecret(state, 'production')?.refreshToken]);
  });

  it('a failing environment does not keep the other from being refreshed', async () => {
    const { deps, state } = setUp();
    seedConnection(state, 'sandbox', { accessDays: 2 });
    seedConnection(state, 'production', { accessDays: 2 });
    state.pinterest.failRefreshWhen((env) => (env === 'sandbox' ? 'server_error' : undefined));
    await expect(runRefreshSchedule(deps)).resolves.toEqual({ sandbox: 'failed', production: 'refreshed' });
  });

  it('a revoked environment is marked and mailed, the other is refreshed', async () => {
    const { deps, state } = setUp();
    seedConnection(state, 'sandbox', { accessDays: 2 });
    seedConnection(state, 'production', { accessDays: 2 });
    state.pinterest.revoke('sandbox');
    await expect(runRefreshSchedule(deps)).resolves.toEqual({ sandbox: 'revoked', production: 'refreshed' });
    expect(storedAccount(state, 'sandbox').status).toBe('reauthorization_required');
    expect(state.notifier.sent).toEqual([expect.objectContaining({ kind: 'revoked', environment: 'sandbox' })]);
    await expect(runRefreshSchedule(deps)).resolves.toEqual({ sandbox: 'not_connected', production: 'not_due' });
    expect(state.notifier.sent).toHaveLength(1);
  });
});

describe('runRefreshSchedule: refresh failing notices', () => {
  /** Sandbox due for a refresh, with every sandbox refresh failing until `recover()`. */
  function failing() {
    const memory = setUp();
    seedConnection(memory.state, 'sandbox', { accessDays: 4 });
    let failingNow = true;
    memory.state.pinterest.failRefreshWhen(() => (failingNow ? 'server_error' : undefined));
    return {
      ...memory,
      recover: () => {
        failingNow = false;
      },
      fail: () => {
        failingNow = true;
      },
    };
  }

  it('mails refresh_failing only once refreshing has failed for 24 hours, and only once however many runs follow', async () => {
    const { deps, state } = failing();
    const since = state.clock.now().toISOString();
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'failed' });
    for (const hours of [1, 11, 11.99]) {
      state.clock.set(new Date(Date.parse(since) + hours * HOUR_MS));
      await runRefreshSchedule(deps);
    }
    state.clock.set(new Date(Date.parse(since) + 24 * HOUR_MS - 1));
    await runRefreshSchedule(deps);
    expect(state.notifier.sent).toEqual([]);
    expect(storedAccount(state, 'sandbox').refreshFailingSince).toBe(since);

    state.clock.set(new Date(Date.parse(since) + 24 * HOUR_MS));
    await runRefreshSchedule(deps);
    expect(state.notifier.sent).toEqual([expect.objectContaining({ kind: 'refresh_failing', environment: 'sandbox', subject: 'Pinterest sandbox: token refresh has been failing for a day' })]);
    expect(state.notifier.sent[0]?.text).toContain(`has failed since ${since}`);
    expect(storedAccount(state, 'sandbox').notices).toEqual({ refresh_failing: state.clock.now().toISOString() });
    expect(accountView(storedAccount(state, 'sandbox')).warnings).toEqual([{ kind: 'refresh_failing', since: state.clock.now().toISOString() }]);

    for (let day = 2; day <= 4; day += 1) {
      state.clock.set(new Date(Date.parse(since) + day * DAY_MS));
      await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'failed' });
    }
    expect(state.notifier.ofKind('refresh_failing')).toHaveLength(1);
    expect(storedAccount(state, 'sandbox')).toMatchObject({ status: 'connected', refreshFailingSince: since });
  });

  it('clears the notice when a refresh succeeds, and mails again when failing comes back for 24 hours', async () => {
    const { deps, state, recover, fail } = failing();
    const firstSince = state.clock.now().toISOString();
    await runRefreshSchedule(deps);
    state.clock.advance(DAY_MS);
    await runRefreshSchedule(deps);
    expect(state.notifier.ofKind('refresh_failing')).toHaveLength(1);

    recover();
    state.clock.advance(DAY_MS);
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'refreshed' });
    const recovered = storedAccount(state, 'sandbox');
    expect(recovered.refreshFailingSince).toBeUndefined();
    expect(recovered.notices?.refresh_failing).toBeUndefined();
    expect(accountView(recovered).warnings).toEqual([]);

    // 26 days later the next refresh is due, and fails again for a day.
    fail();
    state.clock.advance(26 * DAY_MS);
    const secondSince = state.clock.now().toISOString();
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'failed' });
    expect(state.notifier.ofKind('refresh_failing')).toHaveLength(1);
    state.clock.advance(DAY_MS);
    await runRefreshSchedule(deps);
    const mails = state.notifier.ofKind('refresh_failing');
    expect(mails).toHaveLength(2);
    expect(mails[0]?.text).toContain(`has failed since ${firstSince}`);
    expect(mails[1]?.text).toContain(`has failed since ${secondSince}`);
  });

  it('takes the claim back when the mail cannot be sent, and the next run sends it', async () => {
    const { deps, state } = failing();
    await runRefreshSchedule(deps);
    state.clock.advance(DAY_MS);
    state.notifier.failNext();
    await expect(runRefreshSchedule(deps)).rejects.toThrow('simulated SES failure');
    expect(state.notifier.sent).toEqual([]);
    expect(storedAccount(state, 'sandbox').notices?.refresh_failing).toBeUndefined();

    state.clock.advance(HOUR_MS);
    await runRefreshSchedule(deps);
    expect(state.notifier.ofKind('refresh_failing')).toHaveLength(1);
    expect(storedAccount(state, 'sandbox').notices?.refresh_failing).toBe(state.clock.now().toISOString());
    expect(state.notifier.attempts).toBe(2);
  });
});

describe('runRefreshSchedule: refresh token ending notices', () => {
  /** Pinterest no longer rotates the refresh token: a refresh does not move its end. */
  function notRotating() {
    const memory = setUp();
    memory.state.pinterest.answerRefresh({ refresh_token: undefined, refresh_token_expires_in: undefined });
    return memory;
  }

  it('mails refresh_token_expiring once when refreshing did not move the refresh token out of REFRESH_WARN_DAYS', async () => {
    const { deps, state } = notRotating();
    const { secret } = seedConnection(state, 'sandbox', { accessDays: 30, refreshDays: 19 });
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'refreshed' });
    expect(state.notifier.sent).toEqual([
      expect.objectContaining({ kind: 'refresh_token_expiring', environment: 'sandbox', subject: `Pinterest sandbox: connect again before ${secret.refreshTokenExpiresAt?.slice(0, 10) ?? ''}` }),
    ]);
    expect(state.notifier.sent[0]?.text).toContain(`ends ${secret.refreshTokenExpiresAt ?? ''} (in 19 days)`);

    for (let day = 1; day <= 5; day += 1) {
      state.clock.advance(DAY_MS);
      await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'refreshed' });
    }
    expect(state.notifier.ofKind('refresh_token_expiring')).toHaveLength(1);
    expect(storedAccount(state, 'sandbox')).toMatchObject({ status: 'connected', refreshTokenExpiresAt: secret.refreshTokenExpiresAt });
  });

  it('is cleared once a refresh moves the refresh token\'s end, and mailed again when the end comes near again', async () => {
    const { deps, state } = notRotating();
    seedConnection(state, 'sandbox', { accessDays: 30, refreshDays: 19 });
    await runRefreshSchedule(deps);
    expect(state.notifier.ofKind('refresh_token_expiring')).toHaveLength(1);

    // Pinterest rotates again: a fresh 60-day refresh token ends the condition.
    state.pinterest.answerRefresh({});
    state.clock.advance(DAY_MS);
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'refreshed' });
    expect(storedAccount(state, 'sandbox').notices?.refresh_token_expiring).toBeUndefined();
    expect(storedAccount(state, 'sandbox').refreshTokenExpiresAt).toBe(daysFromNow(state.clock, 60));

    // It stops rotating again; 41 days later the refresh token is within REFRESH_WARN_DAYS once more.
    state.pinterest.answerRefresh({ refresh_token: undefined, refresh_token_expires_in: undefined });
    state.clock.advance(25.5 * DAY_MS);
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'refreshed' });
    expect(state.notifier.ofKind('refresh_token_expiring')).toHaveLength(1);
    state.clock.advance(16 * DAY_MS);
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'refreshed' });
    expect(state.notifier.ofKind('refresh_token_expiring')).toHaveLength(2);
  });

  it('mails it also when the refresh fails, and does not mail while the refresh token has REFRESH_WARN_DAYS or more', async () => {
    const { deps, state } = setUp();
    seedConnection(state, 'sandbox', { accessDays: 30, refreshDays: 20.5 });
    await runRefreshSchedule(deps);
    expect(state.notifier.sent).toEqual([]);
    state.clock.advance(DAY_MS);
    state.pinterest.failRefresh('rate_limited');
    await expect(runRefreshSchedule(deps)).resolves.toMatchObject({ sandbox: 'failed' });
    expect(state.notifier.sent.map((mail) => mail.kind)).toEqual(['refresh_token_expiring']);
  });

  it('takes the claim back when the mail cannot be sent, and the next run sends it', async () => {
    const { deps, state } = notRotating();
    seedConnection(state, 'sandbox', { accessDays: 30, refreshDays: 19 });
    state.notifier.failNext();
    await expect(runRefreshSchedule(deps)).rejects.toThrow('simulated SES failure');
    expect(state.notifier.sent).toEqual([]);
    expect(storedAccount(state, 'sandbox').notices?.refresh_token_expiring).toBeUndefined();

    state.clock.advance(DAY_MS);
    await runRefreshSchedule(deps);
    expect(state.notifier.ofKind('refresh_token_expiring')).toHaveLength(1);
    expect(storedAccount(state, 'sandbox').notices?.refresh_token_expiring).toBe(state.clock.now().toISOString());
  });

  it('mails each environment separately', async () => {
    const { deps, state } = notRotating();
    seedConnection(state, 'sandbox', { accessDays: 30, refreshDays: 19 });
    seedConnection(state, 'production', { accessDays: 30, refreshDays: 10 });
    await runRefreshSchedule(deps);
    await runRefreshSchedule(deps);
    expect(state.notifier.sent.map((mail) => [mail.kind, mail.environment])).toEqual([
      ['refresh_token_expiring', 'sandbox'],
      ['refresh_token_expiring', 'production'],
    ]);
  });
});
