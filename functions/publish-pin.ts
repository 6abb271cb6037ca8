import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBodyOrEmptyObject, queryParams } from '../shared/http/input';
import { pinIdOf } from '../shared/http/pin-path';
import { json } from '../shared/http/responses';
import { publishPin } from '../shared/use-cases/publish';
import { safeSecurityLog } from '../shared/wiring';
import { publishDeps } from '../shared/wiring-publish';

/**
 * POST /pins/{id}/publish (operator): the Pin-creation function. Publishes an approved record exactly
 * once; answers 200 with the outcome (`published` with the Pin's URL, `failed` with what to do, or
 * `needs_reconcile`) and `Retry-After` when a failure has a reset. Refusals change nothing: 409 (not
 * publishable, content changed since approval, account or tier), 429 (pacing).
 */
export const handler = httpHandler(async (event) => {
  const pinId = pinIdOf(event);
  noBodyOrEmptyObject(event);
  queryParams(event, z.strictObject({}));
  const answer = await publishPin(publishDeps(), pinId);
  const { retryAfterSeconds, ...body } = answer;
  return json(200, body, retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) });
}, { securityLog: safeSecurityLog });
