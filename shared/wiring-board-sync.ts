import { randomUUID } from 'node:crypto';
import { lambdaClient } from './adapters/aws/lambda';
import { LambdaAsyncInvoker } from './adapters/async-invoker';
import type { StartSyncDeps } from './use-cases/board-sync';
import { clock, lazy } from './wiring';
import { syncJobs } from './wiring-boards';
import { accounts } from './wiring-connect';

/** Starting and running the board-sync job: the jobs and the asynchronous invoker of the job function. */

export const asyncInvoker = lazy(() => new LambdaAsyncInvoker(lambdaClient()));

export const startSyncDeps = lazy(
  (): StartSyncDeps => ({
    clock,
    newId: () => randomUUID(),
    get jobs() {
      return syncJobs();
    },
    get invoker() {
      return asyncInvoker();
    },
    get accounts() {
      return accounts();
    },
  }),
);
