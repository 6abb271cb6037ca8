import { randomUUID } from 'node:crypto';
import type { SecurityLogPort } from './domain/security-event';
import { DEPLOYMENT_DIMENSION, deploymentName, TOKEN_REFRESH_PROBLEM_MESSAGE } from './metrics';
import { logger } from './observability/logger';
import type { TokenDeps } from './use-cases/token-ports';
import { tokenLeaseSeconds } from './routes';
import { appSettings, clock, lazy, safeSecurityLog } from './wiring';
import { operatorMail } from './wiring-mailers';
import { accounts, pinterestApp, tokenVault } from './wiring-connect';
import { pinterest } from './wiring-pinterest';

/**
 * The token lifecycle's pieces of the composition root: the token source every Pinterest call goes
 * through, the refresh schedule, and operator mail. Only functions that call Pinterest load it.
 */


/**
 * The token lifecycle's security-log writes, each problem (a failed refresh, a lost refresh token, a
 * revoked grant) also one log line the stack's metric filter counts (TokenRefreshProblems, alarmed on).
 */
const refreshProblemsCounted: SecurityLogPort = {
  write: (event) => {
    if (event.kind === 'account' && event.outcome !== 'ok') {
      logger.warn(TOKEN_REFRESH_PROBLEM_MESSAGE, { environment: event.detail?.environment, step: event.detail?.step, [DEPLOYMENT_DIMENSION]: deploymentName() });
    }
    return safeSecurityLog().write(event);
  },
};

export const tokenDeps = lazy(
  (): TokenDeps => ({
    clock,
    newId: () => randomUUID(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    get accounts() {
      return accounts();
    },
    get vault() {
      return tokenVault();
    },
    get pinterest() {
      return pinterest();
    },
    appCredentials: pinterestApp,
    get securityLog() {
      return refreshProblemsCounted;
    },
    get notifier() {
      return operatorMail();
    },
    settings: {
      refreshAccessDays: appSettings().REFRESH_ACCESS_DAYS,
      refreshWarnDays: appSettings().REFRESH_WARN_DAYS,
      leaseMs: tokenLeaseSeconds * 1000,
      pollMs: 250,
      // "For 24 hours", checked by a daily run: an hour's slack, or a run a few seconds early would wait a whole day more.
      failingNoticeAfterMs: 23 * 3_600_000,
      disconnectedRetentionDays: appSettings().RETENTION_DISCONNECTED_ACCOUNT_DAYS,
      publicBaseUrl: appSettings().PUBLIC_BASE_URL,
    },
  }),
);

/**
 * The token source for a function with an API Gateway deadline: it waits at most 4 s for another
 * container's refresh, then answers that a refresh is busy (try again in a minute), instead of waiting
 * up to the lease (90 s) and being killed mid-wait (a 503 from API Gateway).
 */
export const tokenDepsWithinDeadline = (): TokenDeps => {
  const tokens = tokenDeps();
  return { ...tokens, settings: { ...tokens.settings, waitLimitMs: TOKEN_WAIT_WITHIN_DEADLINE_MS } };
};
export const TOKEN_WAIT_WITHIN_DEADLINE_MS = 4000;
