import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { ticketIdOf } from '../shared/http/ticket-path';
import { getTicketDetail } from '../shared/use-cases/support-tickets';
import { safeSecurityLog } from '../shared/wiring';
import { ticketReadDeps } from '../shared/wiring-tickets';

/** GET /support/tickets/{id} (operator): the ticket, its headers and text (from the raw message), attachments and replies. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const reference = ticketIdOf(event);
  queryParams(event, z.strictObject({}));
  return json(200, await getTicketDetail(ticketReadDeps(), reference));
}, { securityLog: safeSecurityLog });
