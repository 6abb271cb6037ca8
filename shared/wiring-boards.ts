import { BoardStore } from './adapters/dynamo/board-store';
import { BoardSyncJobs } from './adapters/dynamo/board-sync-jobs';
import { lazy, stateTable } from './wiring';
import { workflowTable } from './wiring-connect';

/**
 * The board features' storage in the composition root: the snapshot and the sync jobs. Neither the
 * Pinterest client nor the Lambda client is here: the functions that need them add them from
 * ./wiring-board-calls.ts (Pinterest) and ./wiring-board-sync.ts (starting the job function).
 */

/** Sync job records are kept a week. */
const JOB_KEEP_SECONDS = 7 * 86_400;

export const boardStore = lazy(() => new BoardStore(workflowTable()));
export const syncJobs = lazy(() => new BoardSyncJobs(stateTable(), JOB_KEEP_SECONDS));
