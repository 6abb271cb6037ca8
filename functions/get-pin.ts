import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { pinIdOf } from '../shared/http/pin-path';
import { json } from '../shared/http/responses';
import { getPin } from '../shared/use-cases/pins';
import { safeSecurityLog } from '../shared/wiring';
import { pinDeps } from '../shared/wiring-pins';

/** GET /pins/{id} (operator): the record with its history, and `board_missing` when its board left the snapshot. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const pinId = pinIdOf(event);
  queryParams(event, z.strictObject({}));
  return json(200, await getPin(pinDeps(), pinId));
}, { securityLog: safeSecurityLog });
