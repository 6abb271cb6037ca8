import { AppError, ConflictError, NotFoundError } from '../../shared/domain/errors';
import { confirmAccount, describeAccounts } from '../../shared/use-cases/accounts';
import { rejectionOf } from '../support/rejection';
import { OTHER_ACCOUNT, accountRecord, memoryConnectDeps, requestFacts } from '../support/memory-ports';

const facts = requestFacts('POST', '/account/confirm');
const MIRA_ID = '1000000000000000001';

/** What a rejected promise was rejected with, to check more than its class. */
const failure = (promise: Promise<unknown>) => rejectionOf(promise, AppError);

describe('describeAccounts', () => {
  it('shows both environments as not connected, production refused by the trial tier', async () => {
    const { state } = memoryConnectDeps();
    await expect(describeAccounts(state.accounts, 'trial')).resolves.toEqual({
      accessTier: 'trial',
      environments: {
        sandbox: { environment: 'sandbox', status: 'not_connected', publishing: 'allowed_by_tier' },
        production: { environment: 'production', status: 'not_connected', publishing: 'refused_by_tier' },
      },
    });
  });

  it('allows production publishing on the standard tier', async () => {
    const { state } = memoryConnectDeps();
    const described = await describeAccounts(state.accounts, 'standard');
    expect(described.accessTier).toBe('standard');
    expect(described.environments).toMatchObject({ sandbox: { publishing: 'allowed_by_tier' }, production: { publishing: 'allowed_by_tier' } });
  });

  it('shows a connected account with its scopes, what is missing and its expiries, never where its tokens are', async () => {
    const { state } = memoryConnectDeps();
    const record = accountRecord({ environment: 'production', status: 'missing_scopes', scopes: ['boards:read', 'pins:read'], secretName: 'tokens/production/1/secret-name' });
    state.accounts.seed(record);
    const described = await describeAccounts(state.accounts, 'trial');
    expect(described.environments.production).toEqual({
      environment: 'production',
      status: 'missing_scopes',
      accountId: MIRA_ID,
      username: 'mira',
      accountType: 'BUSINESS',
      businessName: 'Mira Digital Zen',
      scopes: ['boards:read', 'pins:read'],
      missingScopes: ['boards:write', 'pins:write'],
      accessTokenExpiresAt: record.accessTokenExpiresAt,
      refreshTokenExpiresAt: record.refreshTokenExpiresAt,
      connectedAt: record.connectedAt,
      confirmedAt: null,
      confirmed: false,
      lastRefreshAt: null,
      refreshFailingSince: null,
      warnings: [],
      publishing: 'refused_by_tier',
    });
    expect(described.environments.sandbox).toMatchObject({ status: 'not_connected' });
    expect(JSON.stringify(described)).not.toContain('secret-name');
  });
});

describe('confirmAccount', () => {
  function setUp() {
    const memory = memoryConnectDeps();
    memory.state.clock.set('2026-03-02T08:30:00.000Z');
    return memory;
  }

  it('throws NotFoundError when the environment has no account, pinning nothing', async () => {
    const { deps, state } = setUp();
    await expect(confirmAccount(deps, 'sandbox', MIRA_ID, facts)).rejects.toThrow(NotFoundError);
    expect(state.accounts.pin('sandbox')).toBeUndefined();
  });

  it('refuses a stale account id with a conflict naming the connected account, logs it and changes nothing', async () => {
    const { deps, state } = setUp();
    const connected = accountRecord({ accountId: OTHER_ACCOUNT.id, username: OTHER_ACCOUNT.username });
    state.accounts.seed(connected);
    const error = await failure(confirmAccount(deps, 'sandbox', MIRA_ID, facts));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain(`someone_else (${OTHER_ACCOUNT.id}), not ${MIRA_ID}`);
    expect(error.details).toEqual({ currentState: 'pending_confirmation' });
    expect(state.log.entries).toEqual([
      expect.objectContaining({ kind: 'account', outcome: 'client_error', errorCode: 'stale_account_id', detail: { environment: 'sandbox', accountId: MIRA_ID } }),
    ]);
    expect(state.accounts.record('sandbox')).toEqual(connected);
    expect(state.accounts.pin('sandbox')).toBeUndefined();
  });

  it.each(['connected', 'missing_scopes', 'reauthorization_required', 'disconnected'] as const)(
    'refuses to confirm an account that is %s, changing nothing',
    async (status) => {
      const { deps, state } = setUp();
      const record = accountRecord({ status });
      state.accounts.seed(record);
      const error = await failure(confirmAccount(deps, 'sandbox', MIRA_ID, facts));
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toBe(`The sandbox account is ${status}, not waiting for confirmation`);
      expect(error.details).toEqual({ currentState: status });
      expect(state.accounts.record('sandbox')).toEqual(record);
      expect(state.accounts.pin('sandbox')).toBeUndefined();
    },
  );

  it('connects the pending account, pins its id and logs the confirmation', async () => {
    const { deps, state } = setUp();
    state.accounts.seed(accountRecord({ version: 5 }));
    const view = await confirmAccount(deps, 'sandbox', MIRA_ID, facts);
    expect(view).toMatchObject({ environment: 'sandbox', status: 'connected', accountId: MIRA_ID, confirmedAt: '2026-03-02T08:30:00.000Z', confirmed: true });
    expect(state.accounts.record('sandbox')).toMatchObject({ status: 'connected', confirmedAt: '2026-03-02T08:30:00.000Z', version: 6 });
    expect(state.accounts.pin('sandbox')).toEqual({ accountId: MIRA_ID, pinnedAt: '2026-03-02T08:30:00.000Z' });
    expect(state.log.entries).toEqual([
      expect.objectContaining({ kind: 'account', outcome: 'ok', detail: { environment: 'sandbox', accountId: MIRA_ID, step: 'confirmed' } }),
    ]);
  });

  it('tells the loser of two simultaneous confirmations that another request confirmed it', async () => {
    const { deps, state } = setUp();
    state.accounts.seed(accountRecord());
    state.accounts.beforeNextWrite(() => confirmAccount(deps, 'sandbox', MIRA_ID, facts));
    const error = await failure(confirmAccount(deps, 'sandbox', MIRA_ID, facts));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe('The sandbox account @mira was confirmed by another request at the same moment: it is connected, nothing more to do.');
    expect(state.accounts.record('sandbox')).toMatchObject({ status: 'connected', version: 2 });
    expect(state.log.entries.map((entry) => entry.detail?.step)).toEqual(['confirmed']);
  });

  it('tells a confirmation that lost to a reconnect that the account changed, and a second try confirms the new connection', async () => {
    const { deps, state } = setUp();
    const pending = accountRecord();
    state.accounts.seed(pending);
    state.accounts.beforeNextWrite(() => {
      state.accounts.seed({ ...pending, connectionId: 'newer', secretName: 'tokens/sandbox/1/newer', version: 2 });
    });
    const error = await failure(confirmAccount(deps, 'sandbox', MIRA_ID, facts));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe('The sandbox account changed while it was being confirmed (it is now pending_confirmation): check it again with GET /account.');
    expect(state.accounts.record('sandbox')).toMatchObject({ status: 'pending_confirmation', connectionId: 'newer' });
    expect(state.log.ofKind('account')).toEqual([]);
    await expect(confirmAccount(deps, 'sandbox', MIRA_ID, facts)).resolves.toMatchObject({ status: 'connected' });
    expect(state.accounts.record('sandbox')).toMatchObject({ status: 'connected', connectionId: 'newer', version: 3 });
  });

  it('takes back its pin when another account connected while it was confirming, so that account can be confirmed', async () => {
    const { deps, state } = setUp();
    const pending = accountRecord();
    state.accounts.seed(pending);
    const other = { ...pending, accountId: '1000000000000000002', username: 'someone_else', connectionId: 'other', secretName: 'tokens/sandbox/2/other', version: 2 };
    state.accounts.beforeNextWrite(() => {
      state.accounts.seed(other);
    });
    const error = await failure(confirmAccount(deps, 'sandbox', MIRA_ID, facts));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe('The sandbox account changed while it was being confirmed (it is now pending_confirmation): check it again with GET /account.');
    // Nothing is pinned: the account now connected can be checked and confirmed.
    expect(state.accounts.pin('sandbox')).toBeUndefined();
    await expect(confirmAccount(deps, 'sandbox', other.accountId, facts)).resolves.toMatchObject({ status: 'connected', accountId: other.accountId });
    expect(state.accounts.pin('sandbox')).toMatchObject({ accountId: other.accountId });
  });
});
