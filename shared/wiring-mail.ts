import { AcknowledgementCounter } from './adapters/dynamo/acknowledgement-counter';
import { parseMail } from './adapters/mime-parser';
import { MARKER_HEADER } from './adapters/ses-mailer';
import { isOurMailMarker } from './domain/keyed-hash';
import type { InboundDeps } from './use-cases/inbound-mail';
import type { ReplyDeps } from './use-cases/support-tickets';
import { appSettings, clock, hashingKey, lazy, stateTable } from './wiring';
import { operatorMail, senderMailer, supportMailer } from './wiring-mailers';
import { mailBucket, mailPrefixes, readRawMail, tickets } from './wiring-tickets';

/**
 * Support mail's ports: the inbound function's whole set, and the operator's replies (the mailers are
 * in ./wiring-mailers.ts).
 */

const acknowledgements = /* @__PURE__ */ lazy(() => new AcknowledgementCounter(stateTable(), clock, hashingKey()));

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
    countAcknowledgement: (address) => acknowledgements().count(address),
    mail: { send: (mail) => supportMailer().send(mail) },
    notifyOperator: (notice) => operatorMail().tell(notice),
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
