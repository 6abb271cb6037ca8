import { ConflictError } from '../../domain/errors';
import { environmentOfJob, syncJobSchema, type SyncJob } from '../../domain/boards';
import type { PinterestEnvironment } from '../../domain/pinterest';
import * as z from '../../zod';
import type { DynamoTable } from './table';

/**
 * Board-sync jobs in the state table, with a TTL: `BOARD_SYNC#<env>` / `JOB#<jobId>` per job, and
 * `BOARD_SYNC#<env>` / `CURRENT` naming the environment's latest job, so a second request while one
 * runs finds it. Every change is one conditional write on the job's (or pointer's) version.
 */

const partition = (env: PinterestEnvironment) => `BOARD_SYNC#${env}`;
const jobKey = (env: PinterestEnvironment, jobId: string) => ({ pk: partition(env), sk: `JOB#${jobId}` });
const currentKey = (env: PinterestEnvironment) => ({ pk: partition(env), sk: 'CURRENT' });
const currentSchema = z.object({ jobId: z.string(), version: z.number() });

export class BoardSyncJobs {
  constructor(
    private readonly table: DynamoTable,
    /** How long a job record is kept (seconds). */
    private readonly keepSeconds: number,
  ) {}

  async get(jobId: string): Promise<SyncJob | undefined> {
    const env = environmentOfJob(jobId);
    return env === undefined ? undefined : this.table.get(jobKey(env, jobId), syncJobSchema);
  }

  /** The environment's latest job (whatever its status), and the id the pointer names. */
  async current(env: PinterestEnvironment): Promise<{ pointerJobId: string | undefined; job: SyncJob | undefined }> {
    const pointer = await this.table.get(currentKey(env), currentSchema);
    return { pointerJobId: pointer?.jobId, job: pointer === undefined ? undefined : await this.get(pointer.jobId) };
  }

  /**
   * Makes `job` the environment's current job: first the pointer, conditional on still naming
   * `pointerJobId` (the one the caller read; a ConflictError means another start won: read again),
   * then the job record. A crash between the two leaves a pointer to a job that does not exist, which
   * the next start replaces.
   */
  async start(job: Omit<SyncJob, 'version'>, pointerJobId: string | undefined): Promise<SyncJob> {
    const expiresAt = this.table.ttlIn(this.keepSeconds);
    const pointer = await this.table.get(currentKey(job.environment), currentSchema);
    if (pointer?.jobId !== pointerJobId) throw new ConflictError('Another board sync started at the same time');
    if (pointer === undefined) await this.table.create({ ...currentKey(job.environment), jobId: job.jobId, version: 1, expiresAt });
    else await this.table.transition(currentKey(job.environment), { version: pointer.version, attributes: { jobId: pointer.jobId } }, { jobId: job.jobId, expiresAt }, currentSchema);
    const created = { ...job, version: 1 };
    await this.table.create({ ...jobKey(job.environment, job.jobId), ...created, expiresAt });
    return created;
  }

  /** One conditional write on the job's version; undefined removes an attribute. Keeps the TTL fresh. */
  async update(job: SyncJob, set: Partial<Omit<SyncJob, 'version' | 'jobId' | 'environment'>>): Promise<SyncJob> {
    return this.table.transition(jobKey(job.environment, job.jobId), { version: job.version }, { ...set, expiresAt: this.table.ttlIn(this.keepSeconds) }, syncJobSchema);
  }
}
