import type { AccountRecord, NoticeKind } from '../domain/account';
import { ConflictError } from '../domain/errors';
import type { TokenDeps } from './token-ports';

/**
 * Mails to the operator about a connection: once per condition and account, not on every run. The
 * notice is claimed on the account item (one conditional write) before the mail goes, so two
 * runs cannot both send it; if sending fails the claim is taken back, and the next run tries again.
 * A condition's claim is removed when the condition clears, so it can be mailed again if it returns.
 */

const DAY_MS = 86_400_000;

/** The reasons markReauthorizationRequired records, in words. */
const reasons: Record<string, string> = {
  refresh_refused: 'it refused the refresh token, and the access token no longer works either',
  token_refused_after_refresh: 'it refused the access token even right after a refresh',
};

function message(deps: TokenDeps, account: AccountRecord, kind: NoticeKind): { subject: string; text: string } {
  const who = `the Pinterest ${account.environment} account @${account.username} (id ${account.accountId})`;
  const reconnect = [
    'To connect it again:',
    `  1. Ask for a connect link: POST ${deps.settings.publicBaseUrl}/oauth/start with {"environment":"${account.environment}"} and your operator credential.`,
    '  2. Open the link it returns in the browser where you are signed in to that Pinterest account, and allow access.',
    '  3. Check the result with GET /account.',
  ].join('\n');
  const expiry = (iso: string | undefined) => (iso === undefined ? 'unknown' : `${iso} (in ${String(Math.max(0, Math.floor((Date.parse(iso) - deps.clock.now().getTime()) / DAY_MS)))} days)`);
  switch (kind) {
    case 'revoked':
      return {
        subject: `Pinterest ${account.environment}: access was revoked, connect again`,
        text: `Pinterest no longer accepts the publisher's access to ${who}: ${reasons[account.reauthorizationReason ?? ''] ?? 'it refused the connection'}. This happens when the app is removed in Pinterest's settings, or after a password or username change. Its tokens have been deleted and publishing there is blocked.\n\n${reconnect}\n`,
      };
    case 'refresh_failing':
      return {
        subject: `Pinterest ${account.environment}: token refresh has been failing for a day`,
        text: `Refreshing the tokens of ${who} has failed since ${account.refreshFailingSince ?? 'a day ago'} (network errors, Pinterest errors or rate limits; not a revocation). The publisher keeps trying every day. The access token expires ${expiry(account.accessTokenExpiresAt)}; if refreshing has not recovered by then, connect again.\n\n${reconnect}\n`,
      };
    case 'refresh_token_expiring':
      return {
        subject: `Pinterest ${account.environment}: connect again before ${account.refreshTokenExpiresAt?.slice(0, 10) ?? 'soon'}`,
        text: `The refresh token of ${who} ends ${expiry(account.refreshTokenExpiresAt)}, and refreshing did not extend it. After that the publisher cannot renew its access and you must connect again; doing it now avoids an interruption.\n\n${reconnect}\n`,
      };
    case 'refresh_token_lost':
      return {
        subject: `Pinterest ${account.environment}: connect again before ${account.accessTokenExpiresAt.slice(0, 10)}`,
        text: `Pinterest rotated the refresh token of ${who} but its answer never arrived, so the new refresh token is unknown and the old one no longer works. The current access token still works until ${expiry(account.accessTokenExpiresAt)}; connect again before then.\n\n${reconnect}\n`,
      };
  }
}

/** Mails `kind` about `account` unless it was already mailed and has not cleared. */
export async function notify(deps: TokenDeps, known: AccountRecord, kind: NoticeKind): Promise<void> {
  let account: AccountRecord | undefined = known;
  let claimed: AccountRecord | undefined;
  for (let attempt = 0; attempt < 5 && account !== undefined && claimed === undefined; attempt += 1) {
    if (account.notices?.[kind] !== undefined) return;
    try {
      claimed = await deps.accounts.update(account, { notices: { ...account.notices, [kind]: deps.clock.now().toISOString() } });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      account = await deps.accounts.get(known.environment);
    }
  }
  if (claimed === undefined) return;
  try {
    await deps.notifier.notify({ kind, environment: claimed.environment, ...message(deps, claimed, kind) });
    await deps.securityLog.write({ kind: 'account', outcome: 'ok', detail: { environment: claimed.environment, accountId: claimed.accountId, step: 'operator_notified', notice: kind } });
  } catch (error) {
    // Not sent: take the claim back so the next run tries again.
    await clearNotice(deps, claimed, kind);
    throw error;
  }
}

/** The condition is over: its notice may be sent again if it comes back. */
export async function clearNotice(deps: TokenDeps, known: AccountRecord, kind: NoticeKind): Promise<void> {
  let account: AccountRecord | undefined = known;
  for (let attempt = 0; attempt < 5 && account?.notices?.[kind] !== undefined; attempt += 1) {
    const notices = Object.fromEntries(Object.entries(account.notices).filter(([name]) => name !== kind));
    try {
      await deps.accounts.update(account, { notices });
      return;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      account = await deps.accounts.get(known.environment);
    }
  }
}
