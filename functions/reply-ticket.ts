import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { jsonBody } from '../shared/http/input';
import { versionField } from '../shared/http/pin-path';
import { json } from '../shared/http/responses';
import { ticketIdOf } from '../shared/http/ticket-path';
import { replyToTicket } from '../shared/use-cases/support-tickets';
import { safeSecurityLog } from '../shared/wiring';
import { replyDeps } from '../shared/wiring-mail';

const body = z.strictObject({
  version: versionField,
  message: z.string('message is required').check(
    z.refine((message: string) => message.trim() !== '', 'message must not be empty'),
    z.maxLength(20_000, 'message must be at most 20000 characters'),
  ),
  subject: z.optional(
    z.string('subject must be a string').check(
      z.refine((subject: string) => !/[\r\n]/.test(subject), 'subject must not contain line breaks (CR or LF)'),
      z.refine((subject: string) => subject.trim() !== '', 'subject must not be empty'),
      z.maxLength(200, 'subject must be at most 200 characters'),
    ),
  ),
});

/**
 * POST /support/tickets/{id}/reply (operator): sends the reply from SUPPORT_EMAIL to the requester,
 * threaded (In-Reply-To, References) and marked as ours, and records it on the ticket.
 */
export const handler = httpHandler(async (event) => {
  const reference = ticketIdOf(event);
  const { version, message, subject } = jsonBody(event, body);
  const ticket = await replyToTicket(replyDeps(), { reference, version, message: message.replace(/\r\n?/g, '\n'), ...(subject === undefined ? {} : { subject: subject.trim() }) });
  return json(200, ticket);
}, { securityLog: safeSecurityLog });
