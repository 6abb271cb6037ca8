import * as z from '../shared/zod';
import { environments } from '../shared/domain/pinterest';
import { httpHandler } from '../shared/http/handler';
import { safeSecurityLog } from '../shared/wiring';
import { jsonBody } from '../shared/http/input';
import { requestFacts } from '../shared/http/request-facts';
import { json } from '../shared/http/responses';
import { confirmAccount } from '../shared/use-cases/accounts';
import { connectDeps } from '../shared/wiring-connect';

const body = z.strictObject({
  environment: z.enum(environments, { error: 'environment must be sandbox or production' }),
  accountId: z.string().check(z.regex(/^\d+$/, 'accountId must be the numeric Pinterest account id shown by GET /account')),
});

/** POST /account/confirm (operator): confirms the connected account is the intended one and pins its id. */
export const handler = httpHandler(async (event) => {
  const { environment, accountId } = jsonBody(event, body);
  return json(200, await confirmAccount(connectDeps(), environment, accountId, requestFacts(event)));
}, { securityLog: safeSecurityLog });
