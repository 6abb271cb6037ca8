import * as z from '../shared/zod';
import { environments } from '../shared/domain/pinterest';
import { httpHandler } from '../shared/http/handler';
import { jsonBody } from '../shared/http/input';
import { requestFacts } from '../shared/http/request-facts';
import { json } from '../shared/http/responses';
import { disconnectAccount } from '../shared/use-cases/disconnect';
import { safeSecurityLog } from '../shared/wiring';
import { disconnectDeps } from '../shared/wiring-connect';

const body = z.strictObject({
  environment: z.enum(environments, { error: 'environment must be sandbox or production' }),
});

/** POST /account/disconnect (operator): deletes the environment's tokens and synced boards; says what it did. */
export const handler = httpHandler(async (event) => {
  const { environment } = jsonBody(event, body);
  return json(200, await disconnectAccount(disconnectDeps(), environment, requestFacts(event)));
}, { securityLog: safeSecurityLog });
