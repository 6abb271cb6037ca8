import * as z from '../shared/zod';
import { environments } from '../shared/domain/pinterest';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { listSnapshot } from '../shared/use-cases/boards';
import { safeSecurityLog } from '../shared/wiring';
import { boardStore } from '../shared/wiring-boards';

const query = z.strictObject({
  environment: z.enum(environments, { error: 'environment must be sandbox or production' }),
  q: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 50),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

/** GET /boards (operator): the environment's board snapshot, paged, optionally filtered by name. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const q = queryParams(event, query);
  return json(200, await listSnapshot({ boards: boardStore() }, q.environment, { limit: q.limit, ...(q.q === undefined ? {} : { q: q.q }), ...(q.cursor === undefined ? {} : { cursor: q.cursor }) }));
}, { securityLog: safeSecurityLog });
