import { boardRecordFrom, jobView, newJobId, type SyncJob } from '../domain/boards';
import { ConflictError, DependencyError, NotFoundError } from '../domain/errors';
import { environments, type PinterestEnvironment } from '../domain/pinterest';
import type { BoardDeps } from './board-ports';
import type { AccountsPort } from './connect-ports';
import { ReauthorizationRequiredError, withPinterestToken } from './token-source';
import { isLive } from './token-refresh';

/**
 * The board sync: a job that reads every page of `GET /v5/boards` (page_size 250, so n boards take
 * ⌊n/250⌋+1 calls), writes each page into the snapshot in batches, and after a complete pass removes
 * the boards Pinterest no longer lists. Its record says how far it got (pages, boards, bookmark), so it
 * can stop and go on: a rate limit (429, or no calls left) pauses it until Pinterest's reset, running
 * out of time hands it to a fresh invocation, and a runner that died is taken over once its lease
 * ends. Only one runner holds a job at a time.
 */

const activeStatuses = new Set<SyncJob['status']>(['running', 'paused']);

/** Hand-overs of one job to a fresh invocation: far more than 10,000 boards need (41 pages). */
const MAX_HAND_OVERS = 100;

/** Starting a sync needs no Pinterest call: only the account's status, the jobs and the invoker. */
export type StartSyncDeps = Pick<BoardDeps, 'clock' | 'newId' | 'jobs' | 'invoker'> & { accounts: Pick<AccountsPort, 'get'> };

/**
 * POST /boards/sync: answers the environment's running (or paused) job, or starts a new one; either
 * way a job that can go on now is handed to the job function asynchronously.
 */
export async function startBoardSync(deps: StartSyncDeps, env: PinterestEnvironment) {
  const account = await deps.accounts.get(env);
  if (!isLive(account)) throw new ReauthorizationRequiredError(env);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const { pointerJobId, job: current } = await deps.jobs.current(env);
    if (current !== undefined && activeStatuses.has(current.status)) {
      if (canGoOn(deps, current)) await deps.invoker.invoke('syncBoards', { environment: env, jobId: current.jobId });
      return { job: jobView(current), started: false };
    }
    try {
      const job = await deps.jobs.start(
        { jobId: newJobId(env, deps.newId()), environment: env, status: 'running', pagesRead: 0, boardsSeen: 0, startedAt: deps.clock.now().toISOString() },
        pointerJobId,
      );
      await deps.invoker.invoke('syncBoards', { environment: env, jobId: job.jobId });
      return { job: jobView(job), started: true };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error; // another request started one: answer it
    }
  }
  throw new ConflictError(`Board syncs of ${env} keep starting at the same time; ask again.`);
}

export async function describeSyncJob(deps: Pick<BoardDeps, 'jobs'>, jobId: string) {
  const job = await deps.jobs.get(jobId);
  if (job === undefined) throw new NotFoundError(`No board sync job ${jobId} (jobs are kept for a week)`);
  return jobView(job);
}

/** A job nobody is running that may go on now: running with an ended lease, or paused past its resumeAt. */
function canGoOn(deps: Pick<BoardDeps, 'clock'>, job: SyncJob): boolean {
  const now = deps.clock.now();
  if (job.leaseUntil !== undefined && job.leaseUntil > now.getTime()) return false;
  return job.status === 'running' || (job.resumeAt !== undefined && Date.parse(job.resumeAt) <= now.getTime());
}

/** The `resume-board-sync` schedule: goes on with every environment's job that may. */
export async function resumeBoardSyncs(deps: BoardDeps, remainingMs: () => number) {
  const outcome: Partial<Record<PinterestEnvironment, string>> = {};
  for (const env of environments) {
    const { job } = await deps.jobs.current(env);
    if (job === undefined || !activeStatuses.has(job.status) || !canGoOn(deps, job)) continue;
    outcome[env] = (await runBoardSync(deps, job.jobId, remainingMs)).status;
  }
  return outcome;
}

/**
 * Runs a job until it finishes, pauses, or must hand over. Steps per page: 1. take (or renew) the
 * job's lease in one conditional write; 2. read the page at the saved bookmark through the token
 * source; 3. write its boards in batches of 25; 4. save the new bookmark and counts; 5. on the last
 * page, remove boards not written since the job started and record the snapshot.
 */
export async function runBoardSync(deps: BoardDeps, jobId: string, remainingMs: () => number): Promise<SyncJob> {
  let job = await deps.jobs.get(jobId);
  if (job === undefined) throw new NotFoundError(`No board sync job ${jobId}`);
  if (!activeStatuses.has(job.status) || !canGoOn(deps, job)) return job;
  const env = job.environment;
  const account = await deps.tokens.accounts.get(env);
  if (!isLive(account)) return deps.jobs.update(job, { status: 'failed', error: 'the account needs a new connection', finishedAt: deps.clock.now().toISOString(), leaseUntil: undefined });
  try {
    job = await deps.jobs.update(job, { status: 'running', pausedReason: undefined, resumeAt: undefined, leaseUntil: deps.clock.now().getTime() + deps.settings.jobLeaseMs });
  } catch (error) {
    if (error instanceof ConflictError) return (await deps.jobs.get(jobId)) ?? job; // another runner took it
    throw error;
  }
  for (;;) {
    if (remainingMs() < deps.settings.handOverBelowMs) {
      // A chain of invocations is bounded: past it, the job waits for the schedule instead.
      if ((job.handOvers ?? 0) >= MAX_HAND_OVERS) return pause(deps, job, 'hand_over_limit', 15 * 60);
      // Out of time: release and hand the job to a fresh invocation, which takes it at once.
      job = await deps.jobs.update(job, { leaseUntil: undefined, handOvers: (job.handOvers ?? 0) + 1 });
      await deps.invoker.invoke('syncBoards', { environment: env, jobId });
      return job;
    }
    let answer;
    try {
      const bookmark = job.bookmark;
      answer = await withPinterestToken(deps.tokens, env, (token) => deps.pinterest.listBoards(env, token, { pageSize: deps.settings.pageSize, ...(bookmark === undefined ? {} : { bookmark }) }));
    } catch (error) {
      return stopOn(deps, job, error);
    }
    const now = deps.clock.now();
    const records = answer.data.items.map((board) => boardRecordFrom(board, env, account.username, now));
    await deps.boards.putBoards(records);
    const next = answer.data.bookmark;
    job = await deps.jobs.update(job, {
      pagesRead: job.pagesRead + 1,
      boardsSeen: job.boardsSeen + records.length,
      bookmark: next ?? undefined,
      leaseUntil: now.getTime() + deps.settings.jobLeaseMs,
    });
    if (next === null) return finish(deps, job);
    if (answer.rateLimit.remaining === 0) return pause(deps, job, 'rate_limited', answer.rateLimit.resetSeconds);
  }
}

async function finish(deps: BoardDeps, job: SyncJob): Promise<SyncJob> {
  // Only now, after a complete pass, can "not listed" mean "gone from Pinterest".
  await deps.boards.removeStale(job.environment, job.startedAt);
  const finishedAt = deps.clock.now().toISOString();
  await deps.boards.putSnapshot(job.environment, { syncedAt: finishedAt, jobId: job.jobId, boardCount: job.boardsSeen });
  return deps.jobs.update(job, { status: 'succeeded', finishedAt, leaseUntil: undefined });
}

function pause(deps: BoardDeps, job: SyncJob, reason: string, resetSeconds: number | undefined): Promise<SyncJob> {
  const resumeAt = new Date(deps.clock.now().getTime() + Math.max(1, resetSeconds ?? 60) * 1000).toISOString();
  return deps.jobs.update(job, { status: 'paused', pausedReason: reason, resumeAt, leaseUntil: undefined });
}

/** A page could not be read: pause on a rate limit, fail on anything that waiting cannot fix. */
async function stopOn(deps: BoardDeps, job: SyncJob, error: unknown): Promise<SyncJob> {
  if (error instanceof DependencyError && (error.code === 'rate_limited' || error.code === 'spam_blocked')) {
    return pause(deps, job, error.code, error.retryAfterSeconds);
  }
  if (error instanceof DependencyError && ['server_error', 'not_sent', 'outcome_unknown'].includes(error.code)) {
    // Pinterest or the network is down for now: the schedule goes on from the same bookmark later.
    return pause(deps, job, `pinterest_unavailable: ${error.summary}`, 300);
  }
  const known = error instanceof ReauthorizationRequiredError || error instanceof DependencyError;
  const reason = error instanceof ReauthorizationRequiredError ? 'the account needs a new connection' : error instanceof DependencyError ? error.summary : 'unexpected error';
  const failed = await deps.jobs.update(job, { status: 'failed', error: reason, finishedAt: deps.clock.now().toISOString(), leaseUntil: undefined });
  // A failure Pinterest explained is the job's outcome; anything else is also the function's error.
  if (known) return failed;
  throw error;
}
