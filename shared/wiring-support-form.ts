import { randomUUID } from 'node:crypto';
import { logger } from './observability/logger';
import type { SupportFormDeps } from './use-cases/support-form';
import { appSettings, clock, lazy } from './wiring';
import { senderMailer } from './wiring-mailers';
import { tickets } from './wiring-tickets';

/**
 * The support form's pieces: the ticket store, and the forward to SUPPORT_EMAIL From SENDER_EMAIL (the
 * verified sender) with the submitter as Reply-To and our marker.
 */
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
