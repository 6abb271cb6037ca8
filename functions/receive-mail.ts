import middy from '@middy/core';
import { lambdaContext } from '../shared/observability/lambda-context';
import { logger } from '../shared/observability/logger';
import { receiveMail, sesEventSchema } from '../shared/use-cases/inbound-mail';
import { inboundDeps } from '../shared/wiring-mail';

/**
 * Inbound support mail: the SES receipt rule stores the raw message under `mail/inbound/<SES message
 * id>` and invokes this asynchronously with its event. An event that is not an SES receipt is logged
 * and dropped (a retry could not make it one); a failure of a store or of SES throws, so Lambda
 * retries the event, and the redelivery finishes what this one left.
 */
export const handler = middy<unknown, unknown>()
  .use(lambdaContext())
  .handler(async (event: unknown) => {
    const parsed = sesEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.error('not an SES receipt event: dropped', { issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) });
      return { received: 0 };
    }
    let outcomes;
    try {
      outcomes = await receiveMail(inboundDeps(), parsed.data);
    } catch (error) {
      // Logged here, redacted (an SES or parser message may quote an address); Lambda's runtime logs
      // a thrown error's message as it is, so what it gets names only the kind of failure. Thrown, so
      // Lambda retries the event and the redelivery finishes the work.
      logger.error('support mail failed; Lambda will retry the event', { error });
      // eslint-disable-next-line preserve-caught-error -- the cause is logged above, redacted; attached, it would reach the runtime's log unredacted
      throw new Error(`receiveMail failed (${error instanceof Error ? error.name : 'error'}); the function log has the details`);
    }
    for (const outcome of outcomes) logger.info('support mail received', { outcome });
    return { received: outcomes.length, outcomes };
  });

