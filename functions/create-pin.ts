import { httpHandler } from '../shared/http/handler';
import { draftInput } from '../shared/http/pin-input';
import { json } from '../shared/http/responses';
import { createDraft } from '../shared/use-cases/pins';
import { safeSecurityLog } from '../shared/wiring';
import { pinDeps } from '../shared/wiring-pins';

/** POST /pins (operator): a new draft on a board of the environment's snapshot; base64 images go to the data bucket. */
export const handler = httpHandler(async (event) => json(201, await createDraft(pinDeps(), draftInput(event))), { securityLog: safeSecurityLog });
