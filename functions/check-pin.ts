import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBodyOrEmptyObject, queryParams } from '../shared/http/input';
import { pinIdOf } from '../shared/http/pin-path';
import { json } from '../shared/http/responses';
import { checkPin } from '../shared/use-cases/reconcile';
import { safeSecurityLog } from '../shared/wiring';
import { reconcileDeps } from '../shared/wiring-reconcile';

/**
 * POST /pins/{id}/check (operator): a published Pin is looked up at Pinterest (facts refreshed, or
 * `missing_on_pinterest`); a `needs_reconcile` record is reconciled now (its scan report on the answer).
 */
export const handler = httpHandler(async (event) => {
  const pinId = pinIdOf(event);
  noBodyOrEmptyObject(event);
  queryParams(event, z.strictObject({}));
  return json(200, await checkPin(reconcileDeps(), pinId));
}, { securityLog: safeSecurityLog });
