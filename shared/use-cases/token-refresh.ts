import { liveStatuses, type AccountRecord, type NoticeKind } from '../domain/account';
import { ConflictError, DependencyError } from '../domain/errors';
import type { PinterestEnvironment } from '../domain/pinterest';
import { rotatedSecret, versionOf, type TokenSecret } from '../domain/tokens';
import type { TokenDeps } from './token-ports';
import { notify } from './operator-notices';

/**
 * Refreshing a connection's tokens, single-flight across every function and container.
 *
 * Pinterest rotates the refresh token on every refresh and the old one stops working, so two
 * refreshes racing with the same refresh token would lock the operator out. One refresh at a time
 * therefore holds a lease on the account item (`refreshLockUntil`, `refreshLeaseId`), taken by one
 * conditional write on the version read; everyone else waits for the lease to end and reads the
 * newest tokens from the secret. The lease outlasts any function that may refresh (a Lambda cannot
 * outrun its timeout), so once it has expired its holder is gone.
 *
 * Steps of a refresh: 1. read the account and the secret past the cache; bring the account's
 * metadata up to date if the secret is ahead (a crash after a secret write); 2. if another refresh
 * already did the work, use its tokens; 3. take the lease; 4. refresh at Pinterest with the secret's
 * refresh token (HTTP Basic); 5. write the new secret version (the rotated refresh token, or the old
 * one when the answer has none), then the account's expiries and version, conditional on the lease;
 * 6. on 283, read the secret again past the cache: a different refresh token means someone else
 * rotated it (use theirs); the same one means the grant is gone — unless the access token still works,
 * which means a refresh answer was lost after Pinterest rotated the token (`refresh_token_lost`).
 * https://developers.pinterest.com/docs/getting-started/set-up-authentication-and-authorization/
 */

export type RefreshOutcome =
  | { kind: 'refreshed'; secret: TokenSecret }
  | { kind: 'joined'; secret: TokenSecret }
  | { kind: 'not_needed'; secret: TokenSecret }
  | { kind: 'revoked' }
  | { kind: 'refresh_token_lost' }
  | { kind: 'failed'; code: string; summary: string }
  | { kind: 'not_live' };

/** Decides from the account and its current secret whether this caller still needs a refresh. */
export type RefreshNeeded = (account: AccountRecord, secret: TokenSecret) => boolean;

// Each round either waits one poll for a running refresh or makes progress; a lease ends long before.
const MAX_ROUNDS = 1000;

const isLive = (account: AccountRecord | undefined): account is AccountRecord =>
  account !== undefined && (liveStatuses as readonly string[]).includes(account.status);

function log(deps: TokenDeps, account: AccountRecord, outcome: 'ok' | 'server_error' | 'denied', step: string, detail: Record<string, string | number> = {}) {
  return deps.securityLog.write({
    kind: 'account',
    outcome,
    ...(outcome === 'ok' ? {} : { errorCode: step }),
    detail: { environment: account.environment, accountId: account.accountId, step, ...detail },
  });
}

/** The account's metadata brought level with a secret that is ahead of it (a crash between the two writes). */
async function catchUp(deps: TokenDeps, account: AccountRecord, secret: TokenSecret): Promise<void> {
  await deps.accounts
    .update(account, {
      tokenVersion: versionOf(secret),
      ...(secret.accessTokenExpiresAt === undefined ? {} : { accessTokenExpiresAt: secret.accessTokenExpiresAt }),
      ...(secret.refreshTokenExpiresAt === undefined ? {} : { refreshTokenExpiresAt: secret.refreshTokenExpiresAt }),
    })
    .catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
    });
}

/**
 * Refreshes the environment's tokens if `needed` still says so once this caller holds the lease (or
 * uses the tokens another refresh produced meanwhile).
 */
export async function refreshTokens(deps: TokenDeps, env: PinterestEnvironment, needed: RefreshNeeded): Promise<RefreshOutcome> {
  let startVersion: number | undefined;
  let waitedSince: string | undefined;
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const account = await deps.accounts.get(env);
    if (!isLive(account)) return { kind: 'not_live' };
    startVersion ??= account.tokenVersion;
    const now = deps.clock.now().getTime();
    if (account.refreshLockUntil !== undefined && account.refreshLockUntil > now) {
      // Another refresh is running: wait for it, then use what it stored.
      waitedSince ??= new Date(now).toISOString();
      if (deps.settings.waitLimitMs !== undefined && now - Date.parse(waitedSince) >= deps.settings.waitLimitMs) {
        return { kind: 'failed', code: 'refresh_busy', summary: 'another refresh of the tokens is still running; try again in a minute' };
      }
      await deps.sleep(Math.min(deps.settings.pollMs, account.refreshLockUntil - now));
      continue;
    }
    if (waitedSince !== undefined && account.tokenVersion === startVersion && account.lastRefreshFailedAt !== undefined && account.lastRefreshFailedAt >= waitedSince) {
      // The refresh we waited for failed: trying again at once would only queue up behind Pinterest's trouble.
      return { kind: 'failed', code: 'refresh_failed', summary: 'a refresh just failed; try again later' };
    }
    const secret = await deps.vault.read(account.secretName, { bypassCache: true });
    if (secret === undefined) return { kind: 'not_live' };
    if (versionOf(secret) > account.tokenVersion) {
      await catchUp(deps, account, secret);
      continue;
    }
    if (!needed(account, secret)) return versionOf(secret) > startVersion ? { kind: 'joined', secret } : { kind: 'not_needed', secret };
    const leaseId = deps.newId();
    let leased: AccountRecord;
    try {
      leased = await deps.accounts.update(account, { refreshLockUntil: now + deps.settings.leaseMs, refreshLeaseId: leaseId });
    } catch (error) {
      if (error instanceof ConflictError) continue; // someone else wrote first: look again
      throw error;
    }
    return refreshUnderLease(deps, leased, secret, leaseId);
  }
  throw new Error(`refresh of the ${env} tokens did not settle after ${String(MAX_ROUNDS)} rounds`);
}

async function refreshUnderLease(deps: TokenDeps, account: AccountRecord, secret: TokenSecret, leaseId: string): Promise<RefreshOutcome> {
  const env = account.environment;
  const release = (set: Partial<AccountRecord> = {}) =>
    deps.accounts.update(account, { refreshLockUntil: undefined, refreshLeaseId: undefined, ...set }, { refreshLeaseId: leaseId }).catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
      return account;
    });
  let answer;
  try {
    answer = await deps.pinterest.refresh(env, await deps.appCredentials(), secret.refreshToken);
  } catch (error) {
    if (error instanceof DependencyError && error.code === 'invalid_grant') return refusedGrant(deps, account, secret, release);
    const failure = error instanceof DependencyError ? { code: error.code, summary: error.summary } : { code: 'unexpected', summary: 'unexpected error' };
    const now = deps.clock.now().toISOString();
    await release({ lastRefreshFailedAt: now, ...(account.refreshFailingSince === undefined ? { refreshFailingSince: now } : {}) });
    await log(deps, account, 'server_error', 'refresh_failed', { reason: failure.summary });
    return { kind: 'failed', ...failure };
  }
  const now = deps.clock.now();
  const next = rotatedSecret(secret, answer.data, now);
  // The secret first: from here on the newest refresh token can no longer be lost.
  if ((await deps.vault.update(account.secretName, next)) === 'gone') {
    // Disconnected or reconnected meanwhile: this connection is over (the lease goes with the record).
    await release();
    return { kind: 'not_live' };
  }
  const notices = { ...account.notices };
  delete notices.refresh_failing;
  delete notices.refresh_token_lost;
  await deps.accounts
    .update(
      account,
      {
        tokenVersion: versionOf(next),
        ...(next.accessTokenExpiresAt === undefined ? {} : { accessTokenExpiresAt: next.accessTokenExpiresAt }),
        ...(next.refreshTokenExpiresAt === undefined ? {} : { refreshTokenExpiresAt: next.refreshTokenExpiresAt }),
        lastRefreshAt: now.toISOString(),
        refreshFailingSince: undefined,
        lastRefreshFailedAt: undefined,
        notices,
        refreshLockUntil: undefined,
        refreshLeaseId: undefined,
      },
      { refreshLeaseId: leaseId },
    )
    .catch((error: unknown) => {
      // Lost the lease meanwhile: the secret is ahead and the next reader catches the metadata up.
      if (!(error instanceof ConflictError)) throw error;
    });
  await log(deps, account, 'ok', 'refreshed', { tokenVersion: versionOf(next), rotated: answer.data.refresh_token === undefined ? 'no' : 'yes' });
  return { kind: 'refreshed', secret: next };
}

/** Pinterest answered 283 to our refresh token: rotated by someone else, revoked, or lost. */
async function refusedGrant(
  deps: TokenDeps,
  account: AccountRecord,
  used: TokenSecret,
  release: (set?: Partial<AccountRecord>) => Promise<AccountRecord>,
): Promise<RefreshOutcome> {
  const again = await deps.vault.read(account.secretName, { bypassCache: true });
  if (again !== undefined && again.refreshToken !== used.refreshToken) {
    await release();
    return { kind: 'joined', secret: again };
  }
  // The same refresh token: if the access token still works, the grant is alive and only the rotated
  // refresh token was lost with an answer that never arrived.
  const alive = await deps.pinterest.userAccount(account.environment, used.accessToken).then(
    () => true,
    () => false,
  );
  if (alive) {
    // Not failing any more in the sense of "keeps trying": nothing can be tried; the lost token is the news.
    const notices = Object.fromEntries(Object.entries(account.notices ?? {}).filter(([kind]) => kind !== 'refresh_failing'));
    const released = await release({ refreshFailingSince: undefined, notices });
    await log(deps, account, 'server_error', 'refresh_token_lost');
    await notify(deps, released, 'refresh_token_lost');
    return { kind: 'refresh_token_lost' };
  }
  await markReauthorizationRequired(deps, account, 'refresh_refused');
  return { kind: 'revoked' };
}

/**
 * Pinterest no longer accepts this connection (the person removed the app, changed their password,
 * or a token was refused even after a refresh): the account needs a new connection, its tokens are
 * deleted at once, publishing is blocked (the status), and the operator is mailed once.
 */
export async function markReauthorizationRequired(deps: TokenDeps, known: AccountRecord, reason: string): Promise<void> {
  let account: AccountRecord | undefined = known;
  for (let attempt = 0; attempt < 5 && isLive(account) && account.connectionId === known.connectionId; attempt += 1) {
    try {
      account = await deps.accounts.update(account, { status: 'reauthorization_required', reauthorizationReason: reason, refreshLockUntil: undefined, refreshLeaseId: undefined });
      break;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      account = await deps.accounts.get(known.environment);
    }
  }
  if (account?.status !== 'reauthorization_required' || account.connectionId !== known.connectionId) return;
  await log(deps, account, 'denied', 'reauthorization_required', { reason });
  await finishRevocation(deps, account);
}

/**
 * The steps after the status write: delete the tokens at once and mail the operator once. Both are
 * idempotent; if either fails (Secrets Manager or SES down), the failure is logged and the daily
 * schedule finishes them on its next run, so the caller still learns the connection needs
 * reauthorization rather than seeing the mail's error.
 */
export async function finishRevocation(deps: TokenDeps, account: AccountRecord): Promise<void> {
  const steps: Array<[string, () => Promise<void>]> = [
    ['secret_not_deleted', () => deps.vault.delete(account.secretName)],
    ['operator_not_notified', () => notify(deps, account, 'revoked')],
  ];
  for (const [failure, step] of steps) {
    await step().catch((error: unknown) =>
      log(deps, account, 'server_error', failure, { reason: error instanceof DependencyError ? error.summary : error instanceof Error ? error.name : 'unknown' }),
    );
  }
}

export { isLive };
export type { NoticeKind };
