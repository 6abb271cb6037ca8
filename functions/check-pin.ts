import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { pinIdOf } from '../shared/http/pin-path';
import { json } from '../shared/http/responses';
import { checkPublishedPin } from '../shared/use-cases/pin-check';
import { safeSecurityLog } from '../shared/wiring';
import { pinCheckDeps } from '../shared/wiring-pin-check';

/** POST /pins/{id}/check (operator): asks Pinterest whether a published Pin is still there. */
export const handler = httpHandler(async (event) => {
  const pinId = pinIdOf(event);
  if (event.body !== undefined && event.body !== '' && event.body !== '{}') noBody(event);
  queryParams(event, z.strictObject({}));
  return json(200, await checkPublishedPin(pinCheckDeps(), pinId));
}, { securityLog: safeSecurityLog });
