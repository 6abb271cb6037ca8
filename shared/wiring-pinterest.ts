import { PinterestClient } from './adapters/pinterest/client';
import { logger } from './observability/logger';
import type { ConnectDeps } from './use-cases/connect-ports';
import { appSettings, lazy } from './wiring';
import { connectDeps } from './wiring-connect';

/**
 * The Pinterest client in the composition root: imported only by the functions that call Pinterest
 * (the OAuth callback today), so no other bundle carries Pinterest HTTP code (a budget test checks).
 */

/** Each Pinterest call's budget: two serial calls plus storage fit the callback's 25 s timeout. */
export const PINTEREST_TIMEOUT_MS = 8000;

export const pinterest = lazy(
  () =>
    new PinterestClient({
      baseUrls: { sandbox: appSettings().PINTEREST_API_BASE_SANDBOX, production: appSettings().PINTEREST_API_BASE_PRODUCTION },
      timeoutMs: PINTEREST_TIMEOUT_MS,
      onCall: (facts) => {
        logger.info('pinterest call', facts);
      },
    }),
);

/** The callback's deps: the connect deps plus the Pinterest client and its per-call budget. */
export const callbackDeps = lazy((): ConnectDeps => {
  const base = connectDeps();
  return Object.defineProperties(Object.create(base) as ConnectDeps, {
    pinterest: { get: pinterest, enumerable: true },
    pinterestTimeoutMs: { value: PINTEREST_TIMEOUT_MS, enumerable: true },
  });
});
