import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { jsonBody } from '../shared/http/input';
import { pinIdOf, versionField } from '../shared/http/pin-path';
import { json } from '../shared/http/responses';
import { approveDraft } from '../shared/use-cases/pins';
import { safeSecurityLog } from '../shared/wiring';
import { pinDeps } from '../shared/wiring-pins';

const body = z.strictObject({ version: versionField });

/** POST /pins/{id}/approve (operator): approves the exact content of the version the operator saw. */
export const handler = httpHandler(async (event) => {
  const pinId = pinIdOf(event);
  const { version } = jsonBody(event, body);
  return json(200, await approveDraft(pinDeps(), pinId, version));
}, { securityLog: safeSecurityLog });
