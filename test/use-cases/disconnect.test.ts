import { AppError, ConflictError, NotFoundError } from '../../shared/domain/errors';
import { epochSeconds } from '../../shared/domain/time';
import { statusFor } from '../../shared/http/status';
import { disconnectAccount } from '../../shared/use-cases/disconnect';
import { runRefreshSchedule } from '../../shared/use-cases/refresh-schedule';
import { ReauthorizationRequiredError, withPinterestToken } from '../../shared/use-cases/token-source';
import { requestFacts } from '../support/memory-ports';
import { disconnectDepsOf, memoryTokenDeps, seedConnection, storedAccount } from '../support/memory-tokens';
import { rejectionOf } from '../support/rejection';

const facts = requestFacts('POST', '/account/disconnect');
const DAY_S = 86_400;

function setUp() {
  const memory = memoryTokenDeps();
  const seeded = seedConnection(memory.state, 'sandbox', { accessDays: 3 });
  memory.state.records.addBoards('sandbox', 'BOARD#1', 'BOARD#2', 'SECTION#2#1');
  memory.state.records.addBoards('production', 'BOARD#9');
  memory.state.records.addPin('sandbox', 'pin-1', 'published');
  return { ...memory, ...seeded, disconnectDeps: disconnectDepsOf(memory.deps, memory.state) };
}

describe('disconnectAccount: refusals', () => {
  it('answers 404 when nothing is connected in the environment', async () => {
    const { disconnectDeps, state } = setUp();
    const error = await rejectionOf(disconnectAccount(disconnectDeps, 'production', facts), NotFoundError);
    expect(statusFor(error.code)).toBe(404);
    expect(error.message).toBe('No production account is connected');
    expect(state.records.boardsOf('production')).toEqual(['BOARD#9']);
  });

  it('answers 409 when the account is already disconnected, changing nothing', async () => {
    const { disconnectDeps, state } = setUp();
    await disconnectAccount(disconnectDeps, 'sandbox', facts);
    const disconnected = storedAccount(state, 'sandbox');
    const logged = state.log.entries.length;
    const error = await rejectionOf(disconnectAccount(disconnectDeps, 'sandbox', facts), ConflictError);
    expect(statusFor(error.code)).toBe(409);
    expect(error.details).toEqual({ currentState: 'disconnected' });
    expect(storedAccount(state, 'sandbox')).toEqual(disconnected);
    expect(state.log.entries).toHaveLength(logged);
  });

  it('answers 409 while a Pin of that environment is publishing, and changes nothing', async () => {
    const { disconnectDeps, state, account, secret } = setUp();
    state.records.addPin('sandbox', 'pin-2', 'publishing');
    const error = await rejectionOf(disconnectAccount(disconnectDeps, 'sandbox', facts), ConflictError);
    expect(statusFor(error.code)).toBe(409);
    expect(error.details).toEqual({ currentState: 'publishing' });
    expect(error.message).toContain('GET /pins?status=publishing');
    expect(storedAccount(state, 'sandbox')).toEqual(account);
    expect(state.vault.secrets.get(account.secretName)).toEqual(secret);
    expect(state.vault.deleted).toEqual([]);
    expect(state.records.boardsOf('sandbox')).toHaveLength(3);
    expect(state.log.entries).toEqual([]);
  });

  it('is not held up by a Pin publishing in the other environment', async () => {
    const { disconnectDeps, state } = setUp();
    state.records.addPin('production', 'pin-3', 'publishing');
    await expect(disconnectAccount(disconnectDeps, 'sandbox', facts)).resolves.toMatchObject({ status: 'disconnected' });
  });
});

describe('disconnectAccount: disconnecting', () => {
  it('deletes the secret at once and marks the account disconnected, kept for the retention days', async () => {
    const { disconnectDeps, state, account } = setUp();
    await disconnectAccount(disconnectDeps, 'sandbox', facts);
    expect(state.vault.secrets.has(account.secretName)).toBe(false);
    expect(state.vault.deleted).toEqual([account.secretName]);
    const after = storedAccount(state, 'sandbox');
    expect(after).toMatchObject({
      status: 'disconnected',
      disconnectedAt: state.clock.now().toISOString(),
      expiresAt: epochSeconds(state.clock.now()) + 90 * DAY_S,
      accountId: account.accountId,
      connectionId: account.connectionId,
    });
  });

  it('clears the refresh lease, failure and notices of the connection', async () => {
    const { disconnectDeps, state } = setUp();
    const since = '2026-02-27T09:00:00.000Z';
    seedConnection(state, 'sandbox', {
      account: { refreshLockUntil: state.clock.now().getTime() + 60_000, refreshLeaseId: 'lease-1', refreshFailingSince: since, notices: { refresh_failing: since } },
    });
    await disconnectAccount(disconnectDeps, 'sandbox', facts);
    const after = storedAccount(state, 'sandbox');
    for (const field of ['refreshLockUntil', 'refreshLeaseId', 'refreshFailingSince', 'notices'] as const) expect(after[field]).toBeUndefined();
  });

  it('removes the environment\'s synced boards and says how many; the other environment\'s stay', async () => {
    const { disconnectDeps, state } = setUp();
    const answer = await disconnectAccount(disconnectDeps, 'sandbox', facts);
    expect(answer.boardsRemoved).toBe(3);
    expect(state.records.boardsOf('sandbox')).toEqual([]);
    expect(state.records.boardsOf('production')).toEqual(['BOARD#9']);
  });

  it('keeps the Pin records and the pinned account id', async () => {
    const { disconnectDeps, state, account } = setUp();
    const pinnedBefore = state.accounts.pin('sandbox');
    await disconnectAccount(disconnectDeps, 'sandbox', facts);
    expect(state.records.pins).toEqual([{ environment: 'sandbox', id: 'pin-1', status: 'published' }]);
    expect(state.accounts.pin('sandbox')).toEqual(pinnedBefore);
    expect(pinnedBefore?.accountId).toBe(account.accountId);
  });

  it('answers what was done and how to remove the app on Pinterest\'s side', async () => {
    const { disconnectDeps, state, account } = setUp();
    const answer = await disconnectAccount(disconnectDeps, 'sandbox', facts);
    expect(answer).toEqual({
      environment: 'sandbox',
      status: 'disconnected',
      accountId: account.accountId,
      username: 'mira',
      tokensDeleted: true,
      boardsRemoved: 3,
      recordKeptUntil: new Date((epochSeconds(state.clock.now()) + 90 * DAY_S) * 1000).toISOString(),
      pinnedAccountId: account.accountId,
      onPinterest: expect.stringContaining("open Pinterest's settings"),
    });
    expect(answer.onPinterest).toContain('remove this one');
    expect(answer.onPinterest).toContain('POST /oauth/start');
    expect(JSON.stringify(answer)).not.toContain(account.secretName);
  });

  it('logs the disconnect with the request facts and the boards removed', async () => {
    const { disconnectDeps, state, account } = setUp();
    await disconnectAccount(disconnectDeps, 'sandbox', facts);
    expect(state.log.entries).toEqual([
      expect.objectContaining({
        kind: 'account',
        outcome: 'ok',
        method: 'POST',
        path: '/account/disconnect',
        requestId: 'api-request-1',
        detail: { environment: 'sandbox', accountId: account.accountId, step: 'disconnected', boardsRemoved: 3 },
      }),
    ]);
    expect(state.log.entries[0]?.clientHash).toEqual(expect.any(String));
  });

  it('disconnects an account that already needs reauthorization (its secret is gone already)', async () => {
    const { disconnectDeps, state, account } = setUp();
    seedConnection(state, 'sandbox', { account: { status: 'reauthorization_required', reauthorizationReason: 'refresh_refused' } });
    state.vault.secrets.delete(account.secretName);
    await expect(disconnectAccount(disconnectDeps, 'sandbox', facts)).resolves.toMatchObject({ status: 'disconnected', tokensDeleted: true });
  });

  it('afterwards, Pinterest calls are refused and the schedule leaves the account alone', async () => {
    const { deps, disconnectDeps, state } = setUp();
    await disconnectAccount(disconnectDeps, 'sandbox', facts);
    await expect(withPinterestToken(deps, 'sandbox', (token) => state.pinterest.userAccount('sandbox', token))).rejects.toThrow(ReauthorizationRequiredError);
    await expect(runRefreshSchedule(deps)).resolves.toEqual({ sandbox: 'not_connected', production: 'not_connected' });
    expect(state.pinterest.calls).toEqual([]);
    expect(state.notifier.sent).toEqual([]);
  });

  it('still ends disconnected when a token refresh changed the account meanwhile', async () => {
    const { disconnectDeps, state } = setUp();
    // The first status write loses to another writer (say a refresh releasing its lease).
    state.accounts.beforeNextWrite(() => {
      const current = storedAccount(state, 'sandbox');
      state.accounts.seed({ ...current, lastRefreshAt: state.clock.now().toISOString(), version: current.version + 1 });
    });
    await expect(disconnectAccount(disconnectDeps, 'sandbox', facts)).resolves.toMatchObject({ status: 'disconnected' });
    expect(storedAccount(state, 'sandbox').status).toBe('disconnected');
  });

  it('refuses with a conflict, tokens already deleted, when the connection was replaced meanwhile', async () => {
    const { disconnectDeps, state } = setUp();
    state.accounts.beforeNextWrite(() => {
      const current = storedAccount(state, 'sandbox');
      state.accounts.seed({ ...current, connectionId: 'connection-1', secretName: 'tokens/sandbox/1000000000000000001/connection-1', version: current.version + 1 });
    });
    const error = await rejectionOf(disconnectAccount(disconnectDeps, 'sandbox', facts), AppError);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('changed while it was being disconnected');
    expect(storedAccount(state, 'sandbox')).toMatchObject({ status: 'connected', connectionId: 'connection-1' });
  });
});
