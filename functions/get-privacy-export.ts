import * as z from '../shared/zod';
import { requestIdPattern } from '../shared/domain/privacy';
import { httpHandler } from '../shared/http/handler';
import { noBody, pathParams, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { readPrivacyExport } from '../shared/use-cases/privacy';
import { safeSecurityLog } from '../shared/wiring';
import { privacyReadDeps } from '../shared/wiring-privacy';

const path = z.strictObject({ id: z.string().check(z.regex(requestIdPattern, 'the id is a privacy request id such as 20261202T101500123Z-1a2b3c4d')) });

/** GET /privacy/requests/{id}/export (operator): an export's JSON document, until it expires. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const { id } = pathParams(event, path);
  queryParams(event, z.strictObject({}));
  const body = await readPrivacyExport(privacyReadDeps(), id);
  return { ...json(200, null, { 'Content-Disposition': `attachment; filename="privacy-export-${id}.json"` }), body: body.toString('utf8') };
}, { securityLog: safeSecurityLog });
