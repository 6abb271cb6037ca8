import { randomUUID } from 'node:crypto';
import { SEED } from '../../local/emulators/pinterest';
import { ConflictError } from '../../shared/domain/errors';
import type { PinterestBoardsPort } from '../../shared/use-cases/board-ports';
import { resumeBoardSyncs, runBoardSync, startBoardSync } from '../../shared/use-cases/board-sync';
import { callFunction } from '../support/http';
import {
  MIRA,
  allBoards,
  batchWrites,
  boardListCalls,
  getJob,
  postSync,
  resetBoardFlow,
  setUpBoardFlow,
  waitFor,
  withFaultOnSecondPage,
  type JobJson,
} from '../support/board-flow';

/**
 * Who runs a sync job, and what stops it: a runner short of time hands the job to a fresh invocation,
 * only one runner holds a job at a time, a runner that died is taken over once its lease ends, Pinterest
 * being down pauses the job, and a revoked connection fails it. Jobs are started through the use case
 * (its invoker only records) or the handler; the fresh invocations are the real `syncBoards` function.
 */

const flow = setUpBoardFlow('board-sync-runners');
const LISTED = SEED.production.listedWithoutSecretScope;
const plentyOfTime = () => 60_000;
const LEASE_MS = 100_000;

beforeEach(async () => {
  await resetBoardFlow(flow);
});

async function startJob() {
  const { job } = await startBoardSync({ ...flow.deps, accounts: flow.deps.tokens.accounts }, 'production');
  flow.invoked.length = 0;
  return job;
}

/** The bookmarks of the list calls, the first page's shown as '-'. */
const bookmarks = () => boardListCalls(flow).map((c) => c.query.bookmark ?? '-');

describe('board sync runners', () => {
  it('hands the job to a fresh invocation when time runs short, and the fresh one goes on from the bookmark', async () => {
    const job = await startJob();
    let iteration = 0;
    const handed = await runBoardSync(flow.deps, job.jobId, () => (iteration++ === 0 ? 60_000 : 19_999));
    expect(handed).toMatchObject({ status: 'running', pagesRead: 1, boardsSeen: 250, handOvers: 1 });
    expect(handed.leaseUntil).toBeUndefined();
    expect(flow.invoked).toEqual([{ fn: 'syncBoards', payload: { environment: 'production', jobId: job.jobId } }]);
    expect(await getJob(job.jobId)).toMatchObject({ status: 'running', pagesRead: 1, finishedAt: null });

    // The invocation it asked for, run by the real function.
    flow.server().background.invokeAsync('syncBoards', flow.invoked[0]?.payload);
    await flow.server().background.idle();
    expect(await getJob(job.jobId)).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: LISTED });
    expect(bookmarks()).toHaveLength(3);
    expect(new Set(bookmarks()).size).toBe(3);
    expect(batchWrites(flow).boards).toBe(24);
  });

  it('lets one runner at a time hold a job: two invocations of the function for the same job read each page once', async () => {
    const res = await postSync('production');
    const { jobId } = res.json() as JobJson;
    // A second delivery of the same event (Lambda delivers at least once), at the same moment.
    flow.server().background.invokeAsync('syncBoards', { environment: 'production', jobId });
    await flow.server().background.idle();
    expect(await getJob(jobId)).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: LISTED });
    expect(bookmarks()).toHaveLength(3);
    expect(new Set(bookmarks()).size).toBe(3);
    expect(batchWrites(flow).boards).toBe(24);
    expect((await allBoards('production')).boards).toHaveLength(LISTED);
  });

  it('takes over a job whose runner died holding it, once the lease has ended (not before); the dead runner cannot write over it', async () => {
    const job = await startJob();
    // A runner that reads page 1, then hangs on page 2 for good (its function died).
    let die: (error: Error) => void = () => undefined;
    const hung = new Promise<never>((_, reject) => {
      die = reject;
    });
    let calls = 0;
    const pinterest: PinterestBoardsPort = {
      listBoards: (...args) => (++calls === 2 ? hung : flow.deps.pinterest.listBoards(...args)),
      createBoard: (...args) => flow.deps.pinterest.createBoard(...args),
      listSections: (...args) => flow.deps.pinterest.listSections(...args),
    };
    const dead = runBoardSync({ ...flow.deps, pinterest }, job.jobId, plentyOfTime);
    await waitFor(async () => (await getJob(job.jobId)).pagesRead === 1, 'the first page');

    // While its lease holds, neither the schedule nor a POST starts another runner.
    expect(await resumeBoardSyncs(flow.deps, plentyOfTime)).toEqual({});
    const again = await postSync('production');
    expect(again.json()).toMatchObject({ jobId: job.jobId, status: 'running', started: false });
    await flow.server().background.idle();
    expect(bookmarks()).toHaveLength(1);

    flow.clock.advance(LEASE_MS + 1);
    expect(await resumeBoardSyncs(flow.deps, plentyOfTime)).toEqual({ production: 'succeeded' });
    expect(bookmarks()).toHaveLength(3);
    expect(new Set(bookmarks()).size).toBe(3);

    // The dead runner's last act (marking the job failed) loses to the job's newer version.
    die(new Error('the function was stopped'));
    await expect(dead).rejects.toBeInstanceOf(ConflictError);
    expect(await getJob(job.jobId)).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: LISTED });
  });

  it('pauses for 5 minutes when Pinterest answers 503 on a page, and goes on from there', async () => {
    const job = await startJob();
    const paused = await withFaultOnSecondPage(flow, 'production', { kind: 'status', status: 503 }, () => runBoardSync(flow.deps, job.jobId, plentyOfTime));
    expect(paused).toMatchObject({ status: 'paused', pagesRead: 1 });
    expect(paused.pausedReason).toMatch(/^pinterest_unavailable: /);
    expect(paused.resumeAt).toBe(new Date(flow.clock.now().getTime() + 300_000).toISOString());

    flow.clock.advance(300_000);
    expect(await resumeBoardSyncs(flow.deps, plentyOfTime)).toEqual({ production: 'succeeded' });
    const answered = bookmarks().filter((_, i) => i !== 1); // the 2nd call got the 503
    expect(bookmarks()[2]).toBe(bookmarks()[1]);
    expect(new Set(answered).size).toBe(3);
    expect((await allBoards('production')).boards).toHaveLength(LISTED);
  });

  it('fails, saying why, when the connection is revoked in the middle; the snapshot keeps what it had and a new POST is refused (409)', async () => {
    const job = await startJob();
    let calls = 0;
    const pinterest: PinterestBoardsPort = {
      listBoards: async (...args) => {
        const page = await flow.deps.pinterest.listBoards(...args);
        if (++calls === 1) flow.emulator.controls.revokeGrant('production', MIRA);
        return page;
      },
      createBoard: (...args) => flow.deps.pinterest.createBoard(...args),
      listSections: (...args) => flow.deps.pinterest.listSections(...args),
    };
    const failed = await runBoardSync({ ...flow.deps, pinterest }, job.jobId, plentyOfTime);
    expect(failed).toMatchObject({ status: 'failed', error: 'the account needs a new connection', pagesRead: 1 });
    expect(await getJob(job.jobId)).toMatchObject({ status: 'failed', error: 'the account needs a new connection', finishedAt: failed.finishedAt });
    const { boards, syncedAt } = await allBoards('production');
    expect(boards).toHaveLength(250);
    expect(syncedAt).toBeNull();
    expect((await postSync('production')).statusCode).toBe(409);
  });

  it('answers 400 to a bad environment or job id, and 404 to a job it does not know', async () => {
    const bad = await postSync('staging');
    expect(bad.statusCode).toBe(400);
    expect(bad.text).toContain('environment');
    const unknown = `production.${randomUUID()}`;
    const missing = await callFunction('getBoardSync', { method: 'GET', url: `/boards/sync/${unknown}`, pathParameters: { jobId: unknown } });
    expect(missing.statusCode).toBe(404);
    const malformed = await callFunction('getBoardSync', { method: 'GET', url: '/boards/sync/nope', pathParameters: { jobId: 'nope' } });
    expect(malformed.statusCode).toBe(400);
    expect(boardListCalls(flow)).toEqual([]);
  });
});
