import * as z from '../shared/zod';
import { normalizeText, pinLimits, characters } from '../shared/domain/pins';
import { httpHandler } from '../shared/http/handler';
import { jsonBody } from '../shared/http/input';
import { pinIdOf, versionField } from '../shared/http/pin-path';
import { json } from '../shared/http/responses';
import { rejectDraft } from '../shared/use-cases/pins';
import { safeSecurityLog } from '../shared/wiring';
import { pinDeps } from '../shared/wiring-pins';

const body = z.strictObject({
  version: versionField,
  reason: z.string('reason is required').check(
    z.refine((reason: string) => normalizeText(reason) !== undefined, 'reason must not be empty'),
    z.refine((reason: string) => characters(normalizeText(reason) ?? '') <= pinLimits.rejectReason, `reason must be at most ${String(pinLimits.rejectReason)} characters`),
  ),
});

/** POST /pins/{id}/reject (operator): rejects a draft or an approved record, with the operator's reason. */
export const handler = httpHandler(async (event) => {
  const pinId = pinIdOf(event);
  const { version, reason } = jsonBody(event, body);
  return json(200, await rejectDraft(pinDeps(), pinId, version, normalizeText(reason) ?? reason));
}, { securityLog: safeSecurityLog });
