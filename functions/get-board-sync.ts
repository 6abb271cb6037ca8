import * as z from '../shared/zod';
import { httpHandler } from '../shared/http/handler';
import { noBody, pathParams, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { describeSyncJob } from '../shared/use-cases/board-sync';
import { safeSecurityLog } from '../shared/wiring';
import { syncJobs } from '../shared/wiring-boards';

const path = z.strictObject({
  jobId: z.string().check(z.regex(/^(sandbox|production)\.[0-9a-f-]{36}$/, 'jobId must be a job id that POST /boards/sync answered')),
});

/** GET /boards/sync/{jobId} (operator): the job's status, pages read, boards seen, times, and why it paused. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  queryParams(event, z.strictObject({}));
  const { jobId } = pathParams(event, path);
  return json(200, await describeSyncJob({ jobs: syncJobs() }, jobId));
}, { securityLog: safeSecurityLog });
