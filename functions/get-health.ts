import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';

const startedAt = new Date().toISOString();
const query = z.strictObject({});

/**
 * GET /health: liveness only. Touches no secret, table or setting (and writes no security-log entry:
 * probes would flood it), so it stays up when they fail.
 */
export const handler = httpHandler((event) => {
  noBody(event);
  queryParams(event, query);
  return Promise.resolve(json(200, { status: 'ok', startedAt }));
}, { securityLog: false });
