import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { listTickets } from '../shared/use-cases/support-tickets';
import { safeSecurityLog } from '../shared/wiring';
import { tickets } from '../shared/wiring-tickets';

const query = z.strictObject({
  status: z._default(z.enum(['open', 'closed'], { error: 'status must be open or closed' }), 'open'),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 25),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

/** GET /support/tickets (operator): tickets of one status (open by default), newest first, with their verdicts. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const q = queryParams(event, query);
  return json(200, await listTickets({ tickets: tickets() }, q.status, { limit: q.limit, ...(q.cursor === undefined ? {} : { cursor: q.cursor }) }));
}, { securityLog: safeSecurityLog });
