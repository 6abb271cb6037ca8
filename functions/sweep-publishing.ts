import middy from '@middy/core';
import { lambdaContext } from '../shared/observability/lambda-context';
import { logger } from '../shared/observability/logger';
import { StuckMetric } from '../shared/adapters/stuck-metric';
import { sweepPublishing } from '../shared/use-cases/reconcile';
import { reconcileDeps } from '../shared/wiring-reconcile';

/**
 * The `sweep-publishing` schedule (every 5 minutes): Pin records whose publish attempt's lease ended
 * become `needs_reconcile` and are reconciled at once; then the StuckPinRecords metric is emitted.
 */
const metrics = new StuckMetric();

export const handler = middy<unknown, Record<string, unknown>>()
  .use(lambdaContext())
  .handler(async () => {
    const outcome = await sweepPublishing({ ...reconcileDeps(), metrics });
    logger.info('sweep-publishing finished', { outcome });
    return outcome;
  });
