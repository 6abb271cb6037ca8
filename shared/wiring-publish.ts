import { PinHolders } from './adapters/dynamo/pin-holders';
import { PublishPacing } from './adapters/dynamo/publish-pacing';
import { PinterestApi } from './adapters/pinterest/resources';
import type { PublishDeps } from './use-cases/publish-ports';
import { appSettings, clock, lazy, safeSecurityLog, stateTable } from './wiring';
import { workflowTable } from './wiring-connect';
import { pinDeps } from './wiring-pins';
import { PINTEREST_TIMEOUT_MS, pinterest } from './wiring-pinterest';
import { tokenDeps } from './wiring-tokens';

/**
 * The Pin-creation function's pieces: the drafts' stores plus the token source, the Pinterest client,
 * the environment's pacing counter and the security log.
 */

/**
 * A claim holds 2 minutes: longer than the publish function may run (29 s: two 8 s Pin calls around
 * an 8 s token refresh), so a lease that has ended has no live holder.
 */
export const PUBLISH_LEASE_MS = 120_000;

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
      return tokenDeps();
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
    settings: { accessTier: appSettings().PINTEREST_ACCESS_TIER, createTimeoutMs: PINTEREST_TIMEOUT_MS, leaseMs: PUBLISH_LEASE_MS },
  };
});
