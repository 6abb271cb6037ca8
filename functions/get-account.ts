import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { describeAccounts } from '../shared/use-cases/accounts';
import { appSettings, safeSecurityLog } from '../shared/wiring';
import { accounts } from '../shared/wiring-connect';

/** GET /account (operator): both environments' accounts. Never a token. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  queryParams(event, z.strictObject({}));
  return json(200, await describeAccounts(accounts(), appSettings().PINTEREST_ACCESS_TIER));
}, { securityLog: safeSecurityLog });
