import middy from '@middy/core';
import { lambdaContext } from '../shared/observability/lambda-context';
import { logger } from '../shared/observability/logger';
import { reconcileAll } from '../shared/use-cases/reconcile';
import { reconcileDeps } from '../shared/wiring-reconcile';

/**
 * The `reconcile` schedule (every 15 minutes): each environment's `needs_reconcile` records are looked
 * for at Pinterest, at most 20 a run, stopping at a rate limit.
 */
export const handler = middy<unknown, Record<string, unknown>>()
  .use(lambdaContext())
  .handler(async () => {
    const outcome = await reconcileAll(reconcileDeps());
    logger.info('reconcile finished', { outcome });
    return outcome;
  });
