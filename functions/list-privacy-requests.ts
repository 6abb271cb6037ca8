import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { listPrivacyRequests } from '../shared/use-cases/privacy';
import { safeSecurityLog } from '../shared/wiring';
import { privacyReadDeps } from '../shared/wiring-privacy';

const query = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 25),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

/** GET /privacy/requests (operator): the compliance records of privacy requests, newest first. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const q = queryParams(event, query);
  return json(200, await listPrivacyRequests(privacyReadDeps(), { limit: q.limit, ...(q.cursor === undefined ? {} : { cursor: q.cursor }) }));
}, { securityLog: safeSecurityLog });
