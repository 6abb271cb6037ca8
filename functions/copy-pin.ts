import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBodyOrEmptyObject, queryParams } from '../shared/http/input';
import { pinIdOf } from '../shared/http/pin-path';
import { json } from '../shared/http/responses';
import { copyPin } from '../shared/use-cases/pins';
import { safeSecurityLog } from '../shared/wiring';
import { pinDeps } from '../shared/wiring-pins';

/** POST /pins/{id}/copy (operator): a new draft with the content of any record. */
export const handler = httpHandler(async (event) => {
  const pinId = pinIdOf(event);
  noBodyOrEmptyObject(event);
  queryParams(event, z.strictObject({}));
  return json(201, await copyPin(pinDeps(), pinId));
}, { securityLog: safeSecurityLog });
