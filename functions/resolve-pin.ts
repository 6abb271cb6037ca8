import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { jsonBody } from '../shared/http/input';
import { pinIdOf, versionField } from '../shared/http/pin-path';
import { json } from '../shared/http/responses';
import { resolvePin } from '../shared/use-cases/reconcile';
import { safeSecurityLog } from '../shared/wiring';
import { reconcileDeps } from '../shared/wiring-reconcile';

const body = z.discriminatedUnion('outcome', [
  z.strictObject({ outcome: z.literal('published'), pinterestPinId: z.string().check(z.regex(/^\d{1,30}$/, 'pinterestPinId must be a string of digits')), version: z.optional(versionField) }),
  z.strictObject({ outcome: z.literal('approved'), version: z.optional(versionField) }),
], { error: 'outcome must be "published" (with pinterestPinId) or "approved"' });

/**
 * POST /pins/{id}/resolve (operator): settles a `needs_reconcile` record — `published` with the Pin the
 * operator found (checked at Pinterest), or `approved` to publish again, accepting the risk of a second Pin.
 */
export const handler = httpHandler(async (event) => {
  const pinId = pinIdOf(event);
  return json(200, await resolvePin(reconcileDeps(), pinId, jsonBody(event, body)));
}, { securityLog: safeSecurityLog });
