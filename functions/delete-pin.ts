import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { pinIdOf } from '../shared/http/pin-path';
import { json } from '../shared/http/responses';
import { deleteDraft } from '../shared/use-cases/pins';
import { safeSecurityLog } from '../shared/wiring';
import { pinDeps } from '../shared/wiring-pins';

const query = z.strictObject({ version: z.coerce.number('version must be the record\'s version number').check(z.int(), z.gte(1)) });

/** DELETE /pins/{id}?version= (operator): a draft, rejected or failed record goes, with its image unless another record holds it. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const pinId = pinIdOf(event);
  const { version } = queryParams(event, query);
  return json(200, await deleteDraft(pinDeps(), pinId, version));
}, { securityLog: safeSecurityLog });
