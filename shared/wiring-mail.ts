import { s3Client } from './adapters/aws/s3';
import { sesClient } from './adapters/aws/ses';
import { AcknowledgementCounter } from './adapters/dynamo/acknowledgement-counter';
import { TicketStore } from './adapters/dynamo/ticket-store';
import { parseMail } from './adapters/mime-parser';
import { ObjectStore } from './adapters/object-store';
import { OperatorMail } from './adapters/operator-mail';
import { MARKER_HEADER, SesMailer } from './adapters/ses-mailer';
import { requireBinding } from './config';
import { isOurMailMarker } from './domain/keyed-hash';
import type { InboundDeps } from './use-cases/inbound-mail';
import type { ReplyDeps, TicketReadDeps } from './use-cases/support-tickets';
import { appSettings, clock, hashingKey, lazy, stateTable } from './wiring';
import { workflowTable } from './wiring-connect';

/**
 * Support mail's pieces of the composition root: tickets in the workflow table, raw messages in the
 * data bucket (`mail/inbound/`, `mail/quarantine/`), mail through SES — acknowledgements and replies
 * as SUPPORT_EMAIL, the operator's notices as SENDER_EMAIL — each with our marker header.
 */

export const mailPrefixes = { inbound: 'mail/inbound/', quarantine: 'mail/quarantine/' } as const;

const bucket = lazy(() => new ObjectStore(s3Client(), requireBinding('DATA_BUCKET')));

export const tickets = lazy(() => new TicketStore(workflowTable(), clock, appSettings().RETENTION_SUPPORT_DAYS));

/** Mail From SUPPORT_EMAIL: what a requester receives, and may answer. */
const supportMailer = lazy(() => new SesMailer(sesClient(), appSettings().SUPPORT_EMAIL, hashingKey(), clock));

const readRaw = async (key: string): Promise<Buffer | undefined> => (await bucket().get(key))?.body;

export const inboundDeps = lazy(
  (): InboundDeps => ({
    clock,
    get tickets() {
      return tickets();
    },
    raw: {
      read: readRaw,
      move: async (from, to) => {
        await bucket().move(from, to, 'message/rfc822');
      },
    },
    parse: parseMail,
    isOurMarker: async (messageId, marker) => isOurMailMarker(await hashingKey()(), messageId, marker),
    countAcknowledgement: (address) => new AcknowledgementCounter(stateTable(), clock, hashingKey()).count(address),
    mail: { send: (mail) => supportMailer().send(mail) },
    notifyOperator: (notice) =>
      new OperatorMail(new SesMailer(sesClient(), appSettings().SENDER_EMAIL, hashingKey(), clock), appSettings().OPERATOR_NOTIFY_EMAIL).tell(notice),
    settings: {
      inboundPrefix: mailPrefixes.inbound,
      quarantinePrefix: mailPrefixes.quarantine,
      acknowledge: appSettings().SUPPORT_ACKNOWLEDGE,
      retentionDays: appSettings().RETENTION_SUPPORT_DAYS,
      markerHeader: MARKER_HEADER,
    },
  }),
);

export const ticketReadDeps = lazy(
  (): TicketReadDeps => ({
    get tickets() {
      return tickets();
    },
    readRaw,
    parse: parseMail,
  }),
);

export const replyDeps = lazy(
  (): ReplyDeps => ({
    clock,
    get tickets() {
      return tickets();
    },
    send: (mail) => supportMailer().send({ ...mail, autoSubmitted: 'no' }),
  }),
);
