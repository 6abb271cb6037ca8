import type { AccountRecord } from '../domain/account';
import { ConflictError, NotFoundError } from '../domain/errors';
import type { PinterestEnvironment } from '../domain/pinterest';
import type { RequestFacts } from '../domain/security-event';
import { epochSeconds } from '../domain/time';
import type { TokenDeps, TokenSettings } from './token-ports';

/**
 * POST /account/disconnect. Steps: 1. read the environment's account (none, or already disconnected
 * → refused); 2. refuse with 409 while a Pin of that environment is `publishing` (its outcome must be
 * known first); 3. force-delete the token secret (no recovery window, so the name is free at once);
 * 4. mark the account `disconnected`, kept for audit until RETENTION_DISCONNECTED_ACCOUNT_DAYS (TTL),
 * in one conditional write; 5. remove the environment's synced boards; 6. log it, and answer what was
 * done and how to remove the app on Pinterest's side too. The pinned account id stays pinned, so a
 * reconnect must be the same account.
 */

export interface EnvironmentRecordsPort {
  anyWithStatus(env: PinterestEnvironment, status: string): Promise<boolean>;
  removeBoards(env: PinterestEnvironment): Promise<number>;
}

export type DisconnectDeps = Pick<TokenDeps, 'clock' | 'accounts' | 'vault' | 'securityLog'> & {
  records: EnvironmentRecordsPort;
  settings: Pick<TokenSettings, 'disconnectedRetentionDays'>;
};

const DAY_S = 86_400;

export async function disconnectAccount(deps: DisconnectDeps, env: PinterestEnvironment, request: RequestFacts) {
  const account = await deps.accounts.get(env);
  if (account === undefined) throw new NotFoundError(`No ${env} account is connected`);
  if (account.status === 'disconnected') throw new ConflictError(`The ${env} account is already disconnected`, account.status);
  if (await deps.records.anyWithStatus(env, 'publishing')) {
    throw new ConflictError(`A ${env} Pin is being published right now: wait until it has finished (GET /pins?status=publishing), then disconnect.`, 'publishing');
  }
  await deps.vault.delete(account.secretName);
  const now = deps.clock.now();
  const keptUntil = epochSeconds(now) + deps.settings.disconnectedRetentionDays * DAY_S;
  const disconnected = await markDisconnected(deps, account, {
    status: 'disconnected',
    disconnectedAt: now.toISOString(),
    expiresAt: keptUntil,
    refreshLockUntil: undefined,
    refreshLeaseId: undefined,
    refreshFailingSince: undefined,
    notices: undefined,
  });
  const boardsRemoved = await deps.records.removeBoards(env);
  await deps.securityLog.write({ kind: 'account', outcome: 'ok', ...request, detail: { environment: env, accountId: account.accountId, step: 'disconnected', boardsRemoved } });
  return {
    environment: env,
    status: disconnected.status,
    accountId: disconnected.accountId,
    username: disconnected.username,
    tokensDeleted: true,
    boardsRemoved,
    recordKeptUntil: new Date(keptUntil * 1000).toISOString(),
    pinnedAccountId: account.accountId,
    onPinterest:
      "The publisher's tokens are deleted, so it can no longer act for this account. To also remove the app from the Pinterest account, open Pinterest's settings, find the apps connected to the account, and remove this one (Pinterest's revoke endpoint serves system users only, so the publisher cannot do it for you). Connecting again works at once (POST /oauth/start) and must be the same account, which stays pinned.",
  };
}

/**
 * The status write, retried on a lost race with a writer that changes the same connection (a token
 * refresh, say); the tokens are already gone, so the connection must end up disconnected.
 */
async function markDisconnected(deps: DisconnectDeps, known: AccountRecord, set: Partial<AccountRecord>): Promise<AccountRecord> {
  let account: AccountRecord | undefined = known;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (account?.connectionId !== known.connectionId) break;
    try {
      return await deps.accounts.update(account, set);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      account = await deps.accounts.get(known.environment);
    }
  }
  throw new ConflictError(`The ${known.environment} account changed while it was being disconnected: check GET /account and try again.`, account?.status);
}
