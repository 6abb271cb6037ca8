import { SEED } from '../../local/emulators/pinterest';
import { resumeBoardSyncs, runBoardSync, startBoardSync } from '../../shared/use-cases/board-sync';
import {
  allBoards,
  batchWrites,
  boardListCalls,
  getJob,
  postSync,
  resetBoardFlow,
  setUpBoardFlow,
  withRateLimitOnSecondPage,
  type BoardFlow,
  type JobJson,
} from '../support/board-flow';

/**
 * A sync that Pinterest stops with a 429 on its second page pauses (reason, resumeAt from the reset
 * header) and goes on later from the saved bookmark, by the `resume-board-sync` schedule or by a new
 * POST /boards/sync: every board ends up in the snapshot once, and no page is read twice.
 *
 * The app is on Standard access here, whose rate windows are a minute long, so the 429 says "reset in
 * 60 s". The job is started and paused through the use cases with the test's clock (their invoker
 * only records), so the pause can lie in the past; what resumes it is then the real thing: the use
 * case on that clock, or the schedule and the POST handler on the system clock.
 */

const flow = setUpBoardFlow('board-sync-resume');
const LISTED = SEED.production.listedWithoutSecretScope;
const RESET_S = 60;
/** Anything: the job never runs short of time here. */
const plentyOfTime = () => 60_000;

beforeEach(async () => {
  await resetBoardFlow(flow);
  flow.emulator.controls.setTier('standard');
});

/** Starts a job through the use case and runs it into the 429 on page 2; answers it paused. */
async function pausedJob(f: BoardFlow) {
  const { job, started } = await startBoardSync({ ...f.deps, accounts: f.deps.tokens.accounts }, 'production');
  expect(started).toBe(true);
  expect(f.invoked).toEqual([{ fn: 'syncBoards', payload: { environment: 'production', jobId: job.jobId } }]);
  const paused = await withRateLimitOnSecondPage(f, 'production', () => runBoardSync(f.deps, job.jobId, plentyOfTime));
  expect(paused).toMatchObject({ status: 'paused', pausedReason: 'rate_limited', pagesRead: 1, boardsSeen: 250 });
  expect(paused.resumeAt).toBe(new Date(f.clock.now().getTime() + RESET_S * 1000).toISOString());
  expect(paused.leaseUntil).toBeUndefined();
  return paused;
}

/** Every list call went on from a bookmark no answered call had used: the refused call (the 2nd) is the only repeat. */
function expectNoPageReadTwice(f: BoardFlow): void {
  const bookmarks = boardListCalls(f).map((c) => c.query.bookmark ?? '(first page)');
  expect(bookmarks).toHaveLength(4);
  // 1st answered, 2nd refused (429), then the 2nd again and the 3rd: three pages read, each once.
  expect(bookmarks[2]).toBe(bookmarks[1]);
  const answered = [bookmarks[0], bookmarks[2], bookmarks[3]];
  expect(new Set(answered).size).toBe(3);
}

async function expectWholeSnapshot(jobId: string): Promise<void> {
  const job = await getJob(jobId);
  expect(job).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: LISTED });
  const { boards, syncedAt } = await allBoards('production');
  expect(boards).toHaveLength(LISTED);
  expect(new Set(boards.map((b) => b.id)).size).toBe(LISTED);
  expect(syncedAt).toBe(job.finishedAt);
}

describe('a board sync paused by a rate limit', () => {
  it('pauses on a 429 on page 2 with its reason and resumeAt, shown by GET /boards/sync/{jobId}; the snapshot is not complete yet', async () => {
    const paused = await pausedJob(flow);
    const view = await getJob(paused.jobId);
    expect(view).toEqual({
      jobId: paused.jobId,
      environment: 'production',
      status: 'paused',
      pagesRead: 1,
      boardsSeen: 250,
      startedAt: paused.startedAt,
      finishedAt: null,
      pausedReason: 'rate_limited',
      resumeAt: paused.resumeAt,
    });
    const { boards, syncedAt } = await allBoards('production');
    expect(boards).toHaveLength(250);
    expect(syncedAt).toBeNull();
  });

  it('is resumed by resumeBoardSyncs once resumeAt has passed (not before), from the saved bookmark', async () => {
    const paused = await pausedJob(flow);
    const callsWhenPaused = boardListCalls(flow).length;

    flow.clock.advance(RESET_S * 1000 - 1000);
    expect(await resumeBoardSyncs(flow.deps, plentyOfTime)).toEqual({});
    expect(boardListCalls(flow)).toHaveLength(callsWhenPaused);

    flow.clock.advance(1000);
    expect(await resumeBoardSyncs(flow.deps, plentyOfTime)).toEqual({ production: 'succeeded' });
    expectNoPageReadTwice(flow);
    expect(batchWrites(flow).boards).toBe(24);
    await expectWholeSnapshot(paused.jobId);
  });

  it('is resumed by the resume-board-sync schedule (the syncBoards function) after resumeAt', async () => {
    // Paused two minutes ago, so resumeAt (60 s later) has passed for the handler's system clock.
    flow.clock.set(new Date(Date.now() - 120_000));
    const paused = await pausedJob(flow);
    expect(Date.parse(paused.resumeAt ?? '')).toBeLessThan(Date.now());

    expect(flow.server().background.trigger('resume-board-sync')).toBe(true);
    await flow.server().background.idle();
    expectNoPageReadTwice(flow);
    await expectWholeSnapshot(paused.jobId);
  });

  it('is resumed by a new POST /boards/sync after resumeAt, which answers the same job (202, started: false)', async () => {
    flow.clock.set(new Date(Date.now() - 120_000));
    const paused = await pausedJob(flow);

    const res = await postSync('production');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ jobId: paused.jobId, status: 'paused', started: false, pagesRead: 1 });
    await flow.server().background.idle();
    expectNoPageReadTwice(flow);
    await expectWholeSnapshot(paused.jobId);
  });

  it('is left alone by a POST /boards/sync before resumeAt: the paused job is answered and nothing is read', async () => {
    const paused = await pausedJob(flow);
    const callsWhenPaused = boardListCalls(flow).length;
    const res = await postSync('production');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ jobId: paused.jobId, status: 'paused', started: false, pausedReason: 'rate_limited', resumeAt: paused.resumeAt });
    expect(flow.server().background.trigger('resume-board-sync')).toBe(true);
    await flow.server().background.idle();
    expect(boardListCalls(flow)).toHaveLength(callsWhenPaused);
    expect(await getJob(paused.jobId)).toMatchObject({ status: 'paused', pagesRead: 1 });
  });

  it('pauses through the handlers too: POST /boards/sync, a 429 on page 2, the job paused with resumeAt a minute after', async () => {
    const res = await withRateLimitOnSecondPage(flow, 'production', async () => {
      const answer = await postSync('production');
      await flow.server().background.idle();
      return answer;
    });
    const { jobId } = res.json() as JobJson;
    const job = await getJob(jobId);
    expect(job).toMatchObject({ status: 'paused', pausedReason: 'rate_limited', pagesRead: 1, boardsSeen: 250 });
    const wait = Date.parse(job.resumeAt ?? '') - Date.now();
    expect(wait).toBeGreaterThan((RESET_S - 10) * 1000);
    expect(wait).toBeLessThanOrEqual(RESET_S * 1000);
    expect(boardListCalls(flow)).toHaveLength(2);
  });
});
