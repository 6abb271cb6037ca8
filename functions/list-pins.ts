import * as z from '../shared/zod';
import { environments } from '../shared/domain/pinterest';
import { pinStatuses } from '../shared/domain/pins';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { listPins } from '../shared/use-cases/pins';
import { safeSecurityLog } from '../shared/wiring';
import { pinDeps } from '../shared/wiring-pins';

const query = z.strictObject({
  environment: z.enum(environments, { error: 'environment must be sandbox or production' }),
  status: z.enum(pinStatuses, { error: `status must be one of ${pinStatuses.join(', ')}` }),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 25),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

/** GET /pins (operator): one environment's records of one status, newest change first, paged. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const q = queryParams(event, query);
  return json(200, await listPins(pinDeps(), q.environment, q.status, { limit: q.limit, ...(q.cursor === undefined ? {} : { cursor: q.cursor }) }));
}, { securityLog: safeSecurityLog });
