import { httpHandler } from '../shared/http/handler';
import { noBodyOrEmptyObject } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { ticketIdOf } from '../shared/http/ticket-path';
import { clock, safeSecurityLog } from '../shared/wiring';
import { closeTicket } from '../shared/use-cases/support-tickets';
import { tickets } from '../shared/wiring-tickets';

/** POST /support/tickets/{id}/close (operator): closes the ticket (closing a closed one answers it as it is). */
export const handler = httpHandler(async (event) => {
  const reference = ticketIdOf(event);
  noBodyOrEmptyObject(event);
  return json(200, await closeTicket({ tickets: tickets(), clock }, reference));
}, { securityLog: safeSecurityLog });
