import * as z from '../shared/zod';
import { environments } from '../shared/domain/pinterest';
import { httpHandler } from '../shared/http/handler';
import { noBody, pathParams, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { boardSections } from '../shared/use-cases/boards';
import { safeSecurityLog } from '../shared/wiring';
import { boardCallDeps } from '../shared/wiring-board-calls';

const path = z.strictObject({ id: z.string().check(z.regex(/^\d{1,30}$/, 'the board id is numeric')) });
const query = z.strictObject({
  environment: z.enum(environments, { error: 'environment must be sandbox or production' }),
  refresh: z._default(z.enum(['true', 'false'], { error: 'refresh must be true or false' }), 'false'),
});

/** GET /boards/{id}/sections (operator): the board's sections, fetched from Pinterest once and then cached. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const { id } = pathParams(event, path);
  const q = queryParams(event, query);
  return json(200, await boardSections(boardCallDeps(), q.environment, id, q.refresh === 'true'));
}, { securityLog: safeSecurityLog });
