import * as z from '../shared/zod';
import { environments } from '../shared/domain/pinterest';
import { httpHandler } from '../shared/http/handler';
import { jsonBody } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { startBoardSync } from '../shared/use-cases/board-sync';
import { safeSecurityLog } from '../shared/wiring';
import { startSyncDeps } from '../shared/wiring-board-sync';

const body = z.strictObject({
  environment: z.enum(environments, { error: 'environment must be sandbox or production' }),
});

/**
 * POST /boards/sync (operator): 202 with the sync job's id and progress; the running (or paused) job
 * when there is one, else a new job. The sync itself runs in its own function.
 */
export const handler = httpHandler(async (event) => {
  const { environment } = jsonBody(event, body);
  const { job, started } = await startBoardSync(startSyncDeps(), environment);
  return json(202, { ...job, started, status: job.status }, { Location: `/boards/sync/${encodeURIComponent(job.jobId)}` });
}, { securityLog: safeSecurityLog });
