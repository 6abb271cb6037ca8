import { sesClient } from './adapters/aws/ses';
import { AcknowledgementCounter } from './adapters/dynamo/acknowledgement-counter';
import { parseMail } from './adapters/mime-parser';
import { OperatorMail } from './adapters/operator-mail';
import { MARKER_HEADER, SesMailer } from './adapters/ses-mailer';
import { isOurMailMarker } from './domain/keyed-hash';
import type { InboundDeps } from './use-cases/inbound-mail';
import type { ReplyDeps } from './use-cases/support-tickets';
import { appSettings, clock, hashingKey, lazy, stateTable } from './wiring';
import { mailBucket, mailPrefixes, readRawMail, tickets } from './wiring-tickets';

/**
 * Support mail's sending pieces: mail through SES — acknowledgements and replies as SUPPORT_EMAIL,
 * the operator's notices as SENDER_EMAIL — each with our marker header; and the inbound function's
 * whole set of ports.
 */

/** Mail From SENDER_EMAIL: the operator's notices. */
const senderMailer = /* @__PURE__ */ lazy(() => new SesMailer(sesClient(), appSettings().SENDER_EMAIL, hashingKey(), clock));

/** Mail From SUPPORT_EMAIL: what a requester receives, and may answer. */
const supportMailer = /* @__PURE__ */ lazy(() => new SesMailer(sesClient(), appSettings().SUPPORT_EMAIL, hashingKey(), clock));

export const inboundDeps = /* @__PURE__ */ lazy(
  (): InboundDeps => ({
    clock,
    get tickets() {
      return tickets();
    },
    raw: {
      read: readRawMail,
      move: async (from, to) => {
        await mailBucket().move(from, to, 'message/rfc822');
      },
    },
    parse: parseMail,
    isOurMarker: async (messageId, marker) => isOurMailMarker(await hashingKey()(), messageId, marker),
    countAcknowledgement: (address) => new AcknowledgementCounter(stateTable(), clock, hashingKey()).count(address),
    mail: { send: (mail) => supportMailer().send(mail) },
    notifyOperator: (notice) => new OperatorMail(senderMailer(), appSettings().OPERATOR_NOTIFY_EMAIL).tell(notice),
    newNoticeId: () => senderMailer().newMessageId(),
    settings: {
      inboundPrefix: mailPrefixes.inbound,
      quarantinePrefix: mailPrefixes.quarantine,
      acknowledge: appSettings().SUPPORT_ACKNOWLEDGE,
      retentionDays: appSettings().RETENTION_SUPPORT_DAYS,
      markerHeader: MARKER_HEADER,
    },
  }),
);

export const replyDeps = /* @__PURE__ */ lazy(
  (): ReplyDeps => ({
    clock,
    get tickets() {
      return tickets();
    },
    send: (mail) => supportMailer().send({ ...mail, autoSubmitted: 'no' }),
  }),
);
