import { BoardStore } from './adapters/dynamo/board-store';
import { PinHolders } from './adapters/dynamo/pin-holders';
import { PinStore } from './adapters/dynamo/pin-store';
import { PinterestApi } from './adapters/pinterest/resources';
import { publishLeaseSeconds } from './routes';
import type { ReconcileDeps } from './use-cases/reconcile';
import { appSettings, clock, lazy } from './wiring';
import { workflowTable } from './wiring-connect';
import { pinterest } from './wiring-pinterest';
import { tokenDepsWithinDeadline } from './wiring-tokens';

/**
 * The reconciliation functions' pieces (sweeper, reconcile schedule, check, resolve): records, the
 * holder index, the token source and the Pinterest client. The sweeper adds the stuck-records metric
 * (./adapters/stuck-metric.ts), so the other functions do not carry Powertools Metrics.
 */
export const reconcileDeps = lazy(
  (): ReconcileDeps => ({
    clock,
    pins: new PinStore(workflowTable()),
    boards: new BoardStore(workflowTable()),
    holders: new PinHolders(workflowTable()),
    get tokens() {
      return tokenDepsWithinDeadline();
    },
    pinterest: new PinterestApi(pinterest()),
    // 100 Pins a page and at most 5 pages a record: a record's scan costs at most 5 of Trial's 1,000
    // daily reads, and a schedule run at most 20 records per environment.
    reconcile: { pageSize: 100, pageCap: 5, windowMs: 2 * 60_000, windowAfterMs: publishLeaseSeconds * 1000 + 2 * 60_000, maxPerRun: 20, stuckAfterMinutes: appSettings().STUCK_AFTER_MINUTES },
  }),
);
