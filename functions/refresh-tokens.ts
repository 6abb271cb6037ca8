import middy from '@middy/core';
import { lambdaContext } from '../shared/observability/lambda-context';
import { logger } from '../shared/observability/logger';
import { runRefreshSchedule } from '../shared/use-cases/refresh-schedule';
import { tokenDeps } from '../shared/wiring-tokens';

/**
 * The `refresh-tokens` schedule (daily; `npm run schedule -- refresh-tokens` locally): refreshes each
 * environment's tokens before they expire and mails the operator once per condition. A failure is
 * thrown, so the schedule's retries and the function's error metric see it.
 */
export const handler = middy<unknown, Record<string, string>>()
  .use(lambdaContext())
  .handler(async () => {
    const outcome = await runRefreshSchedule(tokenDeps());
    logger.info('refresh-tokens finished', { outcome });
    return outcome;
  });
