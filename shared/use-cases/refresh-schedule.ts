import type { AccountRecord } from '../domain/account';
import { environments, type PinterestEnvironment } from '../domain/pinterest';
import { refreshReason, refreshTokenEnding } from '../domain/tokens';
import { clearNotice, notify } from './operator-notices';
import type { TokenDeps } from './token-ports';
import { finishRevocation, isLive, refreshTokens, type RefreshOutcome } from './token-refresh';

/**
 * The daily `refresh-tokens` schedule, for each environment: 1. finish a revocation left half done
 * (secret delete, mail) and skip an account that is not live; 2. refresh when the access token has
 * fewer than REFRESH_ACCESS_DAYS left, the refresh token fewer than REFRESH_WARN_DAYS, or refreshing
 * has been failing (single-flight with any refresh a Pinterest call started); 3. mail the operator once per condition: refreshing failing (not
 * a revocation) for 24 hours, a refresh token within REFRESH_WARN_DAYS of its end even after
 * refreshing; clear a condition's notice once it is over. Revocation mails itself (token-refresh.ts).
 */

export type ScheduleOutcome = RefreshOutcome['kind'] | 'not_due' | 'not_connected';

export async function runRefreshSchedule(deps: TokenDeps): Promise<Record<PinterestEnvironment, ScheduleOutcome>> {
  const result = {} as Record<PinterestEnvironment, ScheduleOutcome>;
  for (const env of environments) result[env] = await refreshEnvironment(deps, env);
  return result;
}

async function refreshEnvironment(deps: TokenDeps, env: PinterestEnvironment): Promise<ScheduleOutcome> {
  const before = await deps.accounts.get(env);
  if (before?.status === 'reauthorization_required') {
    // A revocation whose secret delete or mail failed earlier is finished here (both are idempotent).
    await finishRevocation(deps, before);
    return 'not_connected';
  }
  if (!isLive(before)) return 'not_connected';
  // Due when the tokens near their end, or while refreshing is failing (whoever tried last).
  const due = (account: AccountRecord) => refreshReason(account, deps.clock.now(), deps.settings) !== undefined || account.refreshFailingSince !== undefined;
  const outcome: ScheduleOutcome = due(before) ? (await refreshTokens(deps, env, (account) => due(account))).kind : 'not_due';
  const account = await deps.accounts.get(env);
  if (!isLive(account)) return outcome;
  const now = deps.clock.now();
  if (account.refreshFailingSince !== undefined && now.getTime() - Date.parse(account.refreshFailingSince) >= deps.settings.failingNoticeAfterMs) {
    await notify(deps, account, 'refresh_failing');
  } else if (account.refreshFailingSince === undefined) {
    await clearNotice(deps, account, 'refresh_failing');
  }
  const current = (await deps.accounts.get(env)) ?? account;
  if (refreshTokenEnding(current, now, deps.settings)) await notify(deps, current, 'refresh_token_expiring');
  else await clearNotice(deps, current, 'refresh_token_expiring');
  return outcome;
}
