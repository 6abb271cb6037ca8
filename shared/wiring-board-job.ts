import { randomUUID } from 'node:crypto';
import type { BoardDeps } from './use-cases/board-ports';
import { lazy } from './wiring';
import { boardCallDeps } from './wiring-board-calls';
import { asyncInvoker } from './wiring-board-sync';
import { syncJobs } from './wiring-boards';

/** The job function's deps: the board calls plus the jobs and the invoker (it hands itself on). */
export const boardSyncDeps = lazy((): BoardDeps => {
  const calls = boardCallDeps();
  return Object.defineProperties(Object.create(calls) as BoardDeps, {
    newId: { value: () => randomUUID(), enumerable: true },
    jobs: { get: syncJobs, enumerable: true },
    invoker: { get: asyncInvoker, enumerable: true },
  });
});
