import * as z from '../shared/zod';
import { environments } from '../shared/domain/pinterest';
import { httpHandler } from '../shared/http/handler';
import { safeSecurityLog } from '../shared/wiring';
import { jsonBody } from '../shared/http/input';
import { requestFacts } from '../shared/http/request-facts';
import { json } from '../shared/http/responses';
import { createStartLink } from '../shared/use-cases/oauth-start';
import { connectDeps } from '../shared/wiring-connect';

const body = z.strictObject({
  environment: z.enum(environments, { error: 'environment must be sandbox or production' }),
});

/** POST /oauth/start (operator): a single-use link that starts the Pinterest connection in a browser. */
export const handler = httpHandler(async (event) => {
  const { environment } = jsonBody(event, body);
  return json(201, await createStartLink(connectDeps(), environment, requestFacts(event)));
}, { securityLog: safeSecurityLog });
