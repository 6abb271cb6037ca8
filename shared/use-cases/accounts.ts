import { accountView } from '../domain/account';
import { ConflictError, NotFoundError } from '../domain/errors';
import { environments, type PinterestEnvironment } from '../domain/pinterest';
import type { AccountsPort, OAuthDeps, RequestFacts } from './connect-ports';

/**
 * GET /account: per environment, the account's status, tier, ids, type, scopes (and what is missing),
 * token expiries and confirmation. Never a token.
 */
export async function describeAccounts(accounts: AccountsPort, tier: 'trial' | 'standard') {
  const entries = await Promise.all(
    environments.map(async (env) => {
      const record = await accounts.get(env);
      const publishing = env === 'sandbox' || tier === 'standard' ? 'allowed_by_tier' : 'refused_by_tier';
      return [env, record === undefined ? { environment: env, status: 'not_connected', publishing } : { ...accountView(record), publishing }] as const;
    }),
  );
  return { accessTier: tier, environments: Object.fromEntries(entries) };
}

/**
 * POST /account/confirm. Steps: 1. read the environment's account; 2. refuse unless it is waiting for
 * confirmation and its id is the one the operator saw (a stale id means another account connected
 * since); 3. mark it connected and pin its id in one conditional write (then the pin record).
 */
export async function confirmAccount(
  deps: Pick<OAuthDeps, 'accounts' | 'clock' | 'securityLog'>,
  environment: PinterestEnvironment,
  accountId: string,
  request: RequestFacts,
) {
  const current = await deps.accounts.get(environment);
  if (current === undefined) throw new NotFoundError(`No ${environment} account is connected`);
  if (current.accountId !== accountId) {
    await deps.securityLog.write({ kind: 'account', outcome: 'client_error', errorCode: 'stale_account_id', ...request, detail: { environment, accountId } });
    throw new ConflictError(
      `The connected ${environment} account is ${current.username} (${current.accountId}), not ${accountId}: check the account again before confirming`,
      current.status,
    );
  }
  if (current.status !== 'pending_confirmation') {
    throw new ConflictError(`The ${environment} account is ${current.status}, not waiting for confirmation`, current.status);
  }
  let confirmed;
  try {
    confirmed = await deps.accounts.confirm(current, deps.clock.now().toISOString());
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    throw await lostConfirmation(deps.accounts, environment, accountId);
  }
  await deps.securityLog.write({ kind: 'account', outcome: 'ok', ...request, detail: { environment, accountId, step: 'confirmed' } });
  return accountView(confirmed);
}

/** What the loser of two concurrent confirmations (or of a confirm racing a reconnect) is told. */
async function lostConfirmation(accounts: AccountsPort, environment: PinterestEnvironment, accountId: string): Promise<ConflictError> {
  const now = await accounts.get(environment);
  if (now?.accountId === accountId && now.status === 'connected') {
    return new ConflictError(`The ${environment} account @${now.username} was confirmed by another request at the same moment: it is connected, nothing more to do.`, now.status);
  }
  return new ConflictError(
    `The ${environment} account changed while it was being confirmed${now === undefined ? '' : ` (it is now ${now.status})`}: check it again with GET /account.`,
    now?.status,
  );
}
