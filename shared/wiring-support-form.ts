import { randomUUID } from 'node:crypto';
import { sesClient } from './adapters/aws/ses';
import { SesMailer } from './adapters/ses-mailer';
import { logger } from './observability/logger';
import type { SupportFormDeps } from './use-cases/support-form';
import { appSettings, clock, hashingKey, lazy } from './wiring';
import { tickets } from './wiring-tickets';

/**
 * The support form's pieces: the ticket store, and the forward to SUPPORT_EMAIL From SENDER_EMAIL (the
 * verified sender) with the submitter as Reply-To and our marker.
 */
const senderMailer = /* @__PURE__ */ lazy(() => new SesMailer(sesClient(), appSettings().SENDER_EMAIL, hashingKey(), clock));

export const supportFormDeps = /* @__PURE__ */ lazy(
  (): SupportFormDeps => ({
    clock,
    newId: randomUUID,
    get tickets() {
      return tickets();
    },
    forward: (mail) =>
      senderMailer().send({
        to: [appSettings().SUPPORT_EMAIL],
        subject: mail.subject,
        text: mail.text,
        replyTo: mail.replyTo,
        messageId: mail.messageId,
        autoSubmitted: 'auto-generated',
      }),
    newMessageId: () => senderMailer().newMessageId(),
    warn: (message, facts) => {
      logger.warn(message, facts);
    },
  }),
);
