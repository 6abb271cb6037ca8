import { PinHolders } from './adapters/dynamo/pin-holders';
import { PublishPacing } from './adapters/dynamo/publish-pacing';
import { PinterestApi } from './adapters/pinterest/resources';
import type { PublishDeps } from './use-cases/publish-ports';
import { publishLeaseSeconds } from './routes';
import { appSettings, clock, lazy, safeSecurityLog, stateTable } from './wiring';
import { workflowTable } from './wiring-connect';
import { pinDeps } from './wiring-pins';
import { pinterest } from './wiring-pinterest';
import { tokenDepsWithinDeadline } from './wiring-tokens';

/**
 * The Pin-creation function's pieces: the drafts' stores plus the token source, the Pinterest client,
 * the environment's pacing counter and the security log.
 */

/** A claim's lease (shared/routes.ts): longer than the publish function may run. */
export const PUBLISH_LEASE_MS = publishLeaseSeconds * 1000;

/** One `POST /v5/pins` at most: two of them around a refresh (8 s) and a short wait fit the 29 s function. */
export const PIN_CREATE_TIMEOUT_MS = 7000;

export const holders = lazy(() => new PinHolders(workflowTable()));
const pinterestApi = lazy(() => new PinterestApi(pinterest()));
const pacing = lazy(() => new PublishPacing(stateTable(), clock, { minGapSeconds: appSettings().PUBLISH_MIN_GAP_SECONDS, dailyCap: appSettings().PUBLISH_DAILY_CAP }));

export const publishDeps = lazy((): PublishDeps => {
  const base = pinDeps();
  return {
    clock,
    newId: base.newId,
    get pins() {
      return base.pins;
    },
    get media() {
      return base.media;
    },
    get boards() {
      return base.boards;
    },
    get accounts() {
      return base.accounts;
    },
    get holders() {
      return holders();
    },
    get tokens() {
      // Within the function's 29 s: a 7 s Pin call, at most 4 s waiting for another container's
      // refresh, an 8 s refresh, and the 7 s Pin call repeated.
      return tokenDepsWithinDeadline();
    },
    get pinterest() {
      return pinterestApi();
    },
    get pacing() {
      return pacing();
    },
    get securityLog() {
      return safeSecurityLog();
    },
    settings: { accessTier: appSettings().PINTEREST_ACCESS_TIER, createTimeoutMs: PIN_CREATE_TIMEOUT_MS, leaseMs: PUBLISH_LEASE_MS },
  };
});
