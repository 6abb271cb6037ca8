import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from '../shared/zod';
import { environments } from '../shared/domain/pinterest';
import { lambdaContext } from '../shared/observability/lambda-context';
import { logger } from '../shared/observability/logger';
import { resumeBoardSyncs, runBoardSync } from '../shared/use-cases/board-sync';
import { boardSyncDeps } from '../shared/wiring-board-job';

// Invoked asynchronously with a job ({environment, jobId}), or by the `resume-board-sync` schedule.
const jobEvent = z.object({ environment: z.enum(environments), jobId: z.string() });

/**
 * The board-sync job: runs the job it is given (until done, paused by a rate limit, or handed to a
 * fresh invocation when time runs short), or, on the schedule, goes on with every job that may.
 */
export const handler = middy<unknown, unknown>()
  .use(lambdaContext())
  .handler(async (event: unknown, context: Context) => {
    const remainingMs = () => context.getRemainingTimeInMillis();
    const parsed = jobEvent.safeParse(event);
    if (parsed.success) {
      const job = await runBoardSync(boardSyncDeps(), parsed.data.jobId, remainingMs);
      logger.info('board sync ran', { jobId: job.jobId, status: job.status, pagesRead: job.pagesRead, boardsSeen: job.boardsSeen });
      return { jobId: job.jobId, status: job.status };
    }
    const outcome = await resumeBoardSyncs(boardSyncDeps(), remainingMs);
    logger.info('resume-board-sync finished', { outcome });
    return outcome;
  });
