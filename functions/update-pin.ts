import { httpHandler } from '../shared/http/handler';
import { pinIdOf } from '../shared/http/pin-path';
import { patchInput } from '../shared/http/pin-input';
import { json } from '../shared/http/responses';
import { editDraft } from '../shared/use-cases/pins';
import { safeSecurityLog } from '../shared/wiring';
import { pinDeps } from '../shared/wiring-pins';

/** PATCH /pins/{id} (operator): edits a record at the version the operator saw; an approval is dropped. */
export const handler = httpHandler(async (event) => {
  const pinId = pinIdOf(event);
  return json(200, await editDraft(pinDeps(), pinId, patchInput(event)));
}, { securityLog: safeSecurityLog });
