import { s3Client } from './adapters/aws/s3';
import { TicketStore } from './adapters/dynamo/ticket-store';
import { parseMail } from './adapters/mime-parser';
import { ObjectStore } from './adapters/object-store';
import { requireBinding } from './config';
import type { TicketReadDeps } from './use-cases/support-tickets';
import { appSettings, clock, lazy, workflowTable } from './wiring';

/**
 * Support tickets' pieces of the composition root: the ticket store (workflow table) and the raw
 * messages in the data bucket. Sending mail is in ./wiring-mail.ts, so the functions that only read
 * or close tickets carry neither the MIME composer nor (unless they read raw mail) the parser.
 */

export const mailPrefixes = { inbound: 'mail/inbound/', quarantine: 'mail/quarantine/' } as const;

export const mailBucket = /* @__PURE__ */ lazy(() => new ObjectStore(s3Client(), requireBinding('DATA_BUCKET')));

export const tickets = /* @__PURE__ */ lazy(() => new TicketStore(workflowTable(), clock, appSettings().RETENTION_SUPPORT_DAYS, appSettings().RETENTION_QUARANTINE_DAYS));

export const readRawMail = async (key: string): Promise<Buffer | undefined> => (await mailBucket().get(key))?.body;

export const ticketReadDeps = /* @__PURE__ */ lazy(
  (): TicketReadDeps => ({
    get tickets() {
      return tickets();
    },
    readRaw: readRawMail,
    parse: parseMail,
  }),
);
