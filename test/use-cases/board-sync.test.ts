import { NotFoundError } from '../../shared/domain/errors';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import type { SyncJob } from '../../shared/domain/boards';
import { boardSections, createBoard } from '../../shared/use-cases/boards';
import { describeSyncJob, resumeBoardSyncs, runBoardSync, startBoardSync } from '../../shared/use-cases/board-sync';
import { ReauthorizationRequiredError } from '../../shared/use-cases/token-source';
import { boardSettings, memoryBoardDeps, runSyncInvocations, type MemoryBoards } from '../support/memory-boards';
import { seedConnection, storedAccount } from '../support/memory-tokens';
import { rejectionOf } from '../support/rejection';

const ENV = 'sandbox' satisfies PinterestEnvironment;
const MINUTE = 60_000;

function setUp(boards = 0, options: Parameters<typeof seedConnection>[2] = {}) {
  const memory = memoryBoardDeps();
  const seeded = seedConnection(memory.state, ENV, options);
  memory.state.boardsApi.seedBoards(ENV, boards);
  return { ...memory, ...seeded };
}

/** Starts a sync (as POST /boards/sync) and answers the job's id. */
async function started(memory: MemoryBoards, env: PinterestEnvironment = ENV): Promise<string> {
  return (await startBoardSync(memory.startDeps, env)).job.jobId;
}

function stored(memory: MemoryBoards, jobId: string): SyncJob {
  const job = memory.state.jobs.record(jobId);
  if (job === undefined) throw new Error(`no job ${jobId} stored`);
  return job;
}

const inFuture = (memory: MemoryBoards, ms: number) => new Date(memory.state.clock.now().getTime() + ms).toISOString();

/** Board ids of every page Pinterest answered, in order. */
const idsRead = (memory: MemoryBoards) => memory.state.boardsApi.answered('listBoards').flatMap((call) => call.ids ?? []);

describe('startBoardSync: POST /boards/sync', () => {
  it('starts a running job and hands it to syncBoards once, without calling Pinterest', async () => {
    const memory = setUp(600);
    const answer = await startBoardSync(memory.startDeps, ENV);
    expect(answer).toEqual({
      started: true,
      job: { jobId: expect.stringMatching(/^sandbox\./), environment: ENV, status: 'running', pagesRead: 0, boardsSeen: 0, startedAt: '2026-03-01T09:00:00.000Z', finishedAt: null },
    });
    expect(memory.state.invoker.invocations).toEqual([{ fn: 'syncBoards', payload: { environment: ENV, jobId: answer.job.jobId } }]);
    expect(memory.state.jobs.pointer(ENV)).toBe(answer.job.jobId);
    expect(memory.state.boardsApi.calls).toEqual([]);
  });

  it('a second start while a runner holds the job answers the same job (started: false) and invokes nothing', async () => {
    const memory = setUp(300);
    const jobId = await started(memory);
    let second: Awaited<ReturnType<typeof startBoardSync>> | undefined;
    memory.state.boardsApi.whileAnswering('listBoards', async () => {
      second = await startBoardSync(memory.startDeps, ENV);
    });
    await runBoardSync(memory.deps, jobId, memory.deadline());
    expect(second).toEqual({ started: false, job: expect.objectContaining({ jobId, status: 'running' }) });
    expect(memory.state.invoker.invocations).toHaveLength(1);
    expect(memory.state.jobs.all(ENV)).toHaveLength(1);
  });

  it('a second start after the runner died invokes the job again only once its lease has ended', async () => {
    const memory = setUp(300);
    const jobId = await started(memory);
    memory.state.boards.failNext('putBoards', new Error('the function was killed'));
    await expect(runBoardSync(memory.deps, jobId, memory.deadline())).rejects.toThrow('the function was killed');

    await expect(startBoardSync(memory.startDeps, ENV)).resolves.toMatchObject({ started: false, job: { jobId, status: 'running' } });
    expect(memory.state.invoker.invocations).toHaveLength(1);

    memory.state.clock.advance(boardSettings.jobLeaseMs);
    await expect(startBoardSync(memory.startDeps, ENV)).resolves.toMatchObject({ started: false, job: { jobId, status: 'running' } });
    expect(memory.state.invoker.invocations).toHaveLength(2);
    expect(memory.state.invoker.invocations[1]).toEqual({ fn: 'syncBoards', payload: { environment: ENV, jobId } });
  });

  it('a second start while the job is paused invokes it again only once resumeAt has passed', async () => {
    const memory = setUp(300);
    memory.state.boardsApi.failNext('listBoards', undefined, { rateLimited: { resetSeconds: 600 } });
    const jobId = await started(memory);
    await runBoardSync(memory.deps, jobId, memory.deadline());
    const resumeAt = stored(memory, jobId).resumeAt;

    memory.state.clock.advance(599_000);
    await expect(startBoardSync(memory.startDeps, ENV)).resolves.toEqual({
      started: false,
      job: expect.objectContaining({ jobId, status: 'paused', pausedReason: 'rate_limited', resumeAt }),
    });
    expect(memory.state.invoker.invocations).toHaveLength(1);

    memory.state.clock.advance(1_000);
    await expect(startBoardSync(memory.startDeps, ENV)).resolves.toMatchObject({ started: false, job: { jobId, status: 'paused' } });
    expect(memory.state.invoker.invocations).toHaveLength(2);
  });

  it('a job whose invocation was refused is handed over by the next start', async () => {
    const memory = setUp(10);
    memory.state.invoker.failNext(new Error('Lambda unreachable'));
    await expect(startBoardSync(memory.startDeps, ENV)).rejects.toThrow('Lambda unreachable');
    const [job] = memory.state.jobs.all(ENV);
    expect(job).toMatchObject({ status: 'running', pagesRead: 0 });

    await expect(startBoardSync(memory.startDeps, ENV)).resolves.toMatchObject({ started: false, job: { jobId: job?.jobId } });
    expect(memory.state.invoker.invocations).toEqual([{ fn: 'syncBoards', payload: { environment: ENV, jobId: job?.jobId } }]);
  });

  it('two concurrent starts make one job, and its invocations read every page once', async () => {
    const memory = setUp(600);
    const [a, b] = await Promise.all([startBoardSync(memory.startDeps, ENV), startBoardSync(memory.startDeps, ENV)]);
    expect(a.job.jobId).toBe(b.job.jobId);
    expect([a.started, b.started].sort()).toEqual([false, true]);
    expect(memory.state.jobs.all(ENV)).toHaveLength(1);
    expect(memory.state.invoker.invocations.every((invocation) => (invocation.payload as { jobId: string }).jobId === a.job.jobId)).toBe(true);

    runSyncInvocations(memory);
    await memory.state.invoker.drain();
    expect(memory.state.boardsApi.callsTo('listBoards')).toHaveLength(3);
    expect(stored(memory, a.job.jobId)).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: 600 });
  });

  it('many concurrent starts still make one job', async () => {
    const memory = setUp(10);
    const answers = await Promise.all(Array.from({ length: 8 }, () => startBoardSync(memory.startDeps, ENV)));
    expect(new Set(answers.map((answer) => answer.job.jobId)).size).toBe(1);
    expect(answers.filter((answer) => answer.started)).toHaveLength(1);
    expect(memory.state.jobs.all(ENV)).toHaveLength(1);
  });

  it.each(['reauthorization_required', 'disconnected'] as const)('refuses when the account is %s, and starts nothing', async (status) => {
    const memory = setUp(10, { account: { status } });
    await rejectionOf(startBoardSync(memory.startDeps, ENV), ReauthorizationRequiredError);
    expect(memory.state.jobs.all(ENV)).toEqual([]);
    expect(memory.state.invoker.invocations).toEqual([]);
  });

  it('refuses when no account is connected', async () => {
    const memory = memoryBoardDeps();
    await rejectionOf(startBoardSync(memory.startDeps, 'production'), ReauthorizationRequiredError);
    expect(memory.state.jobs.pointer('production')).toBeUndefined();
  });

  it('after a finished job (succeeded or failed) a start makes a new job', async () => {
    const memory = setUp(10);
    const first = await started(memory);
    await runBoardSync(memory.deps, first, memory.deadline());
    expect(stored(memory, first).status).toBe('succeeded');

    memory.state.clock.advance(MINUTE);
    const second = await startBoardSync(memory.startDeps, ENV);
    expect(second).toMatchObject({ started: true, job: { status: 'running', pagesRead: 0, startedAt: memory.state.clock.now().toISOString() } });
    expect(second.job.jobId).not.toBe(first);
    expect(memory.state.jobs.pointer(ENV)).toBe(second.job.jobId);
    await expect(describeSyncJob(memory.deps, first)).resolves.toMatchObject({ status: 'succeeded' });

    memory.state.boardsApi.failNext('listBoards', 'forbidden');
    await runBoardSync(memory.deps, second.job.jobId, memory.deadline());
    expect(stored(memory, second.job.jobId).status).toBe('failed');
    const third = await startBoardSync(memory.startDeps, ENV);
    expect(third.started).toBe(true);
    expect(new Set([first, second.job.jobId, third.job.jobId]).size).toBe(3);
    expect(memory.state.invoker.invocations).toHaveLength(3);
  });

  it('a pointer left by a start that crashed before writing its job is replaced by the next start', async () => {
    const memory = setUp(10);
    memory.state.jobs.seedPointer(ENV, 'sandbox.crashed-start');
    const answer = await startBoardSync(memory.startDeps, ENV);
    expect(answer.started).toBe(true);
    expect(memory.state.jobs.pointer(ENV)).toBe(answer.job.jobId);
  });

  it('each environment has its own job', async () => {
    const memory = setUp(10);
    seedConnection(memory.state, 'production');
    const sandbox = await started(memory, 'sandbox');
    const production = await started(memory, 'production');
    expect(production).toMatch(/^production\./);
    expect(sandbox).not.toBe(production);
    expect(memory.state.invoker.invocations.map((invocation) => invocation.payload)).toEqual([
      { environment: 'sandbox', jobId: sandbox },
      { environment: 'production', jobId: production },
    ]);
  });
});

describe('describeSyncJob: GET /boards/sync/{jobId}', () => {
  it('shows the progress of a known job, and NotFoundError for any other id', async () => {
    const memory = setUp(10);
    const jobId = await started(memory);
    await expect(describeSyncJob(memory.deps, jobId)).resolves.toMatchObject({ jobId, status: 'running', pagesRead: 0 });
    await rejectionOf(describeSyncJob(memory.deps, 'sandbox.unknown'), NotFoundError);
    await rejectionOf(describeSyncJob(memory.deps, 'staging.whatever'), NotFoundError);
    await rejectionOf(describeSyncJob(memory.deps, jobId.replace('sandbox', 'production')), NotFoundError);
  });
});

describe('runBoardSync: reading every page into the snapshot', () => {
  it.each([
    [0, 1],
    [1, 1],
    [249, 1],
    [250, 2],
    [251, 2],
    [500, 3],
    [600, 3],
    [10_000, 41],
  ])('%i boards take %i calls of GET /v5/boards at page_size 250', async (boards, calls) => {
    const memory = setUp(boards);
    const jobId = await started(memory);
    const job = await runBoardSync(memory.deps, jobId, memory.deadline());
    expect(memory.state.boardsApi.callsTo('listBoards')).toHaveLength(calls);
    expect(job).toMatchObject({ status: 'succeeded', pagesRead: calls, boardsSeen: boards });
    expect(memory.state.boards.boardIdsOf(ENV)).toHaveLength(boards);
  });

  it('600 boards: 3 page calls, 24 batch writes, the job succeeded with its counts, the snapshot recorded', async () => {
    const memory = setUp(600);
    const jobId = await started(memory);
    memory.state.clock.advance(2_000);
    const job = await runBoardSync(memory.deps, jobId, memory.deadline());

    const calls = memory.state.boardsApi.callsTo('listBoards');
    expect(calls.map((call) => ({ pageSize: call.pageSize, bookmarked: call.bookmark !== undefined, token: call.accessToken }))).toEqual([
      { pageSize: 250, bookmarked: false, token: memory.secret.accessToken },
      { pageSize: 250, bookmarked: true, token: memory.secret.accessToken },
      { pageSize: 250, bookmarked: true, token: memory.secret.accessToken },
    ]);
    expect(calls.map((call) => call.ids?.length)).toEqual([250, 250, 100]);
    expect(memory.state.boards.writes.filter((write) => write.op === 'putBoards').map((write) => [write.items, write.batchCalls])).toEqual([
      [250, 10],
      [250, 10],
      [100, 4],
    ]);
    expect(memory.state.boards.boardBatchCalls).toBe(24);

    const finishedAt = memory.state.clock.now().toISOString();
    expect(job).toMatchObject({ jobId, status: 'succeeded', pagesRead: 3, boardsSeen: 600, finishedAt });
    expect(job.leaseUntil).toBeUndefined();
    expect(job.bookmark).toBeUndefined();
    expect(stored(memory, jobId)).toEqual(job);
    expect(memory.state.boards.snapshotOf(ENV)).toEqual({ syncedAt: finishedAt, jobId, boardCount: 600 });
    expect(memory.state.boards.boardIdsOf(ENV)).toEqual(memory.state.boardsApi.boardsOf(ENV).map((board) => board.id));
    expect(new Set(idsRead(memory)).size).toBe(600);
    await expect(describeSyncJob(memory.deps, jobId)).resolves.toEqual({
      jobId,
      environment: ENV,
      status: 'succeeded',
      pagesRead: 3,
      boardsSeen: 600,
      startedAt: '2026-03-01T09:00:00.000Z',
      finishedAt,
    });
  });

  it('writes each board as the operator will see it, with the time of its page', async () => {
    const memory = setUp(0);
    const [board] = memory.state.boardsApi.seedBoards(ENV, 1, () => ({ name: 'Zen Garden', description: 'Stones', privacy: 'SECRET' }));
    await runBoardSync(memory.deps, await started(memory), memory.deadline());
    expect(memory.state.boards.boardsOf(ENV)).toEqual([
      {
        environment: ENV,
        boardId: board?.id,
        name: 'Zen Garden',
        description: 'Stones',
        privacy: 'SECRET',
        ownerUsername: 'mira',
        collaboratorCount: 0,
        group: false,
        syncedAt: '2026-03-01T09:00:00.000Z',
      },
    ]);
  });

  it('a 429 on page 2 pauses the job until Pinterest’s reset, keeping the bookmark of page 1', async () => {
    const memory = setUp(600);
    memory.state.boardsApi.failNext('listBoards', undefined, { rateLimited: { resetSeconds: 900 } });
    const jobId = await started(memory);
    const job = await runBoardSync(memory.deps, jobId, memory.deadline());

    const [, refused] = memory.state.boardsApi.callsTo('listBoards');
    expect(refused?.outcome).toBe('rate_limited');
    expect(job).toMatchObject({ status: 'paused', pausedReason: 'rate_limited', resumeAt: inFuture(memory, 900_000), pagesRead: 1, boardsSeen: 250, bookmark: refused?.bookmark });
    expect(job.bookmark).toEqual(expect.any(String));
    expect(job.leaseUntil).toBeUndefined();
    expect(job.finishedAt).toBeUndefined();
    expect(memory.state.boards.snapshotOf(ENV)).toBeUndefined();
    expect(memory.state.boards.boardIdsOf(ENV)).toHaveLength(250);
    await expect(describeSyncJob(memory.deps, jobId)).resolves.toMatchObject({ status: 'paused', pausedReason: 'rate_limited', resumeAt: job.resumeAt, finishedAt: null });
  });

  it('a spam block (429) pauses as well, with its own reason', async () => {
    const memory = setUp(300);
    memory.state.boardsApi.failNext('listBoards', { rateLimited: { resetSeconds: 30, spam: true } });
    const job = await runBoardSync(memory.deps, await started(memory), memory.deadline());
    expect(job).toMatchObject({ status: 'paused', pausedReason: 'spam_blocked', resumeAt: inFuture(memory, 30_000), pagesRead: 0 });
  });

  it('a paused job does nothing before resumeAt, then resumes from the saved bookmark, reads no page twice, and finishes', async () => {
    const memory = setUp(600);
    memory.state.boardsApi.failNext('listBoards', undefined, { rateLimited: { resetSeconds: 900 } });
    const jobId = await started(memory);
    const paused = await runBoardSync(memory.deps, jobId, memory.deadline());

    memory.state.clock.advance(899_000);
    await expect(runBoardSync(memory.deps, jobId, memory.deadline())).resolves.toEqual(paused);
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({});
    expect(memory.state.boardsApi.callsTo('listBoards')).toHaveLength(2);

    memory.state.clock.advance(1_000);
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({ sandbox: 'succeeded' });
    const calls = memory.state.boardsApi.callsTo('listBoards');
    expect(calls).toHaveLength(4);
    expect(calls[2]?.bookmark).toBe(paused.bookmark);
    expect(memory.state.boardsApi.answered('listBoards')).toHaveLength(3);
    expect(idsRead(memory)).toEqual(memory.state.boardsApi.boardsOf(ENV).map((board) => board.id));
    expect(stored(memory, jobId)).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: 600 });
    expect(memory.state.boards.snapshotOf(ENV)).toMatchObject({ jobId, boardCount: 600 });
  });

  it('x-ratelimit-remaining: 0 after a page pauses the job before the next call, until the reset', async () => {
    const memory = setUp(600);
    // Two calls an hour: the second page's answer says none are left.
    memory.state.boardsApi.budget(ENV, 2, 3_600);
    const jobId = await started(memory);
    memory.state.clock.advance(600_000);
    const job = await runBoardSync(memory.deps, jobId, memory.deadline());
    expect(memory.state.boardsApi.callsTo('listBoards').map((call) => call.outcome)).toEqual(['ok', 'ok']);
    expect(job).toMatchObject({ status: 'paused', pausedReason: 'rate_limited', resumeAt: inFuture(memory, 3_000_000), pagesRead: 2, boardsSeen: 500 });

    memory.state.clock.advance(3_000_000);
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({ sandbox: 'succeeded' });
    expect(memory.state.boardsApi.callsTo('listBoards').map((call) => call.outcome)).toEqual(['ok', 'ok', 'ok']);
  });

  it('the reset of x-ratelimit-remaining: 0 is when the job may go on', async () => {
    const memory = setUp(600);
    memory.state.boardsApi.rateLimitHeaders('listBoards', { limit: 1000, remaining: 0, resetSeconds: 42 });
    const job = await runBoardSync(memory.deps, await started(memory), memory.deadline());
    expect(job).toMatchObject({ status: 'paused', pausedReason: 'rate_limited', resumeAt: inFuture(memory, 42_000), pagesRead: 1 });
    expect(memory.state.boardsApi.callsTo('listBoards')).toHaveLength(1);
  });

  it('no calls left on the last page still finishes the job', async () => {
    const memory = setUp(100);
    memory.state.boardsApi.rateLimitHeaders('listBoards', { limit: 1000, remaining: 0, resetSeconds: 42 });
    const job = await runBoardSync(memory.deps, await started(memory), memory.deadline());
    expect(job).toMatchObject({ status: 'succeeded', pagesRead: 1, boardsSeen: 100 });
  });

  it.each([
    ['server_error', 'pinterest_unavailable: server_error (HTTP 503)'],
    ['not_sent', 'pinterest_unavailable: connect ECONNREFUSED'],
    ['outcome_unknown', 'pinterest_unavailable: socket hang up'],
  ] as const)('%s pauses the job (%s) for 5 minutes instead of failing it, and it goes on later', async (failure, reason) => {
    const memory = setUp(600);
    memory.state.boardsApi.failNext('listBoards', undefined, failure);
    const jobId = await started(memory);
    const job = await runBoardSync(memory.deps, jobId, memory.deadline());
    expect(job).toMatchObject({ status: 'paused', pausedReason: reason, resumeAt: inFuture(memory, 300_000), pagesRead: 1 });
    expect(job.error).toBeUndefined();

    memory.state.clock.advance(300_000);
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({ sandbox: 'succeeded' });
    expect(stored(memory, jobId)).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: 600 });
    expect(stored(memory, jobId).pausedReason).toBeUndefined();
  });

  it('an account Pinterest refused (revoked) fails the job with the reason and marks the account', async () => {
    const memory = setUp(600);
    const jobId = await started(memory);
    memory.state.pinterest.revoke(ENV);
    const job = await runBoardSync(memory.deps, jobId, memory.deadline());
    expect(job).toMatchObject({ status: 'failed', error: 'the account needs a new connection', finishedAt: memory.state.clock.now().toISOString(), pagesRead: 0 });
    expect(job.leaseUntil).toBeUndefined();
    expect(storedAccount(memory.state, ENV).status).toBe('reauthorization_required');
    expect(memory.state.boards.snapshotOf(ENV)).toBeUndefined();
    await expect(describeSyncJob(memory.deps, jobId)).resolves.toMatchObject({ status: 'failed', error: 'the account needs a new connection' });
  });

  it('an account that stopped being live before the runner started fails the job without calling Pinterest', async () => {
    const memory = setUp(600);
    const jobId = await started(memory);
    memory.state.accounts.seed({ ...storedAccount(memory.state, ENV), status: 'reauthorization_required' });
    const job = await runBoardSync(memory.deps, jobId, memory.deadline());
    expect(job).toMatchObject({ status: 'failed', error: 'the account needs a new connection' });
    expect(memory.state.boardsApi.calls).toEqual([]);
  });

  it('a request Pinterest refuses (403) fails the job with Pinterest’s reason', async () => {
    const memory = setUp(600);
    memory.state.boardsApi.failNext('listBoards', undefined, 'forbidden');
    const job = await runBoardSync(memory.deps, await started(memory), memory.deadline());
    expect(job).toMatchObject({ status: 'failed', error: 'forbidden (HTTP 403, code 29)', pagesRead: 1, boardsSeen: 250 });
  });

  it('an expired access token is renewed through the token source and the page read once more', async () => {
    const memory = setUp(300);
    memory.state.pinterest.expireAccessTokens(ENV);
    const job = await runBoardSync(memory.deps, await started(memory), memory.deadline());
    expect(job).toMatchObject({ status: 'succeeded', pagesRead: 2, boardsSeen: 300 });
    expect(memory.state.pinterest.callsTo('refresh')).toHaveLength(1);
    expect(memory.state.boardsApi.callsTo('listBoards').map((call) => call.outcome)).toEqual(['unauthorized', 'ok', 'ok']);
  });

  it('out of time: hands the job to a fresh invocation and releases its lease; that invocation finishes it', async () => {
    const memory = setUp(1_000);
    // Each page takes 25 s of the function's 80 s: after three pages less than 20 s are left.
    memory.state.boardsApi.latencyMs = 25_000;
    const jobId = await started(memory);
    runSyncInvocations(memory);
    const [first, second] = (await memory.state.invoker.drain()) as SyncJob[];

    expect(first).toMatchObject({ status: 'running', pagesRead: 3, boardsSeen: 750, handOvers: 1 });
    expect(first?.leaseUntil).toBeUndefined();
    expect(memory.state.invoker.invocations).toEqual([
      { fn: 'syncBoards', payload: { environment: ENV, jobId } },
      { fn: 'syncBoards', payload: { environment: ENV, jobId } },
    ]);
    expect(second).toMatchObject({ status: 'succeeded', pagesRead: 5, boardsSeen: 1_000, handOvers: 1 });
    expect(idsRead(memory)).toEqual(memory.state.boardsApi.boardsOf(ENV).map((board) => board.id));
  });

  it('the hand-over limit (100) pauses the job instead of invoking again', async () => {
    const memory = setUp(300);
    const jobId = await started(memory);
    // Every invocation starts with less time than a page needs.
    runSyncInvocations(memory, boardSettings.handOverBelowMs - 1);
    const runs = (await memory.state.invoker.drain()) as SyncJob[];

    expect(runs).toHaveLength(101);
    expect(memory.state.invoker.invocations).toHaveLength(101);
    expect(runs.slice(0, 100).every((job) => job.status === 'running')).toBe(true);
    expect(runs.at(-1)).toMatchObject({ status: 'paused', pausedReason: 'hand_over_limit', resumeAt: inFuture(memory, 15 * MINUTE), handOvers: 100 });
    expect(memory.state.boardsApi.calls).toEqual([]);

    // The schedule goes on with it later.
    memory.state.clock.advance(15 * MINUTE);
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({ sandbox: 'succeeded' });
    expect(stored(memory, jobId)).toMatchObject({ status: 'succeeded', boardsSeen: 300 });
  });

  it('a second runner while the lease is held does nothing', async () => {
    const memory = setUp(600);
    const jobId = await started(memory);
    let second: SyncJob | undefined;
    memory.state.boardsApi.whileAnswering('listBoards', async () => {
      second = await runBoardSync(memory.container(), jobId, memory.deadline());
    });
    const first = await runBoardSync(memory.deps, jobId, memory.deadline());
    expect(second).toMatchObject({ status: 'running', pagesRead: 0 });
    expect(first).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: 600 });
    expect(memory.state.boardsApi.callsTo('listBoards')).toHaveLength(3);
    expect(memory.state.jobs.updates.filter((update) => update.outcome === 'conflict')).toEqual([]);
  });

  it('two runners started at once: one takes the lease, the other stops without calling Pinterest', async () => {
    const memory = setUp(600);
    const jobId = await started(memory);
    const runs = await Promise.all([runBoardSync(memory.deps, jobId, memory.deadline()), runBoardSync(memory.container(), jobId, memory.deadline())]);
    expect(runs.map((job) => job.status).sort()).toEqual(['running', 'succeeded']);
    expect(memory.state.boardsApi.callsTo('listBoards')).toHaveLength(3);
    expect(stored(memory, jobId)).toMatchObject({ status: 'succeeded', boardsSeen: 600 });
  });

  it('a runner that died is taken over by resumeBoardSyncs once its lease has ended, from the last page saved', async () => {
    const memory = setUp(600);
    const jobId = await started(memory);
    memory.state.boardsApi.whileAnswering('listBoards', () => undefined);
    memory.state.boardsApi.whileAnswering('listBoards', () => {
      memory.state.boards.failNext('putBoards', new Error('the function was killed'));
    });
    await expect(runBoardSync(memory.deps, jobId, memory.deadline())).rejects.toThrow('the function was killed');
    const left = stored(memory, jobId);
    expect(left).toMatchObject({ status: 'running', pagesRead: 1, leaseUntil: memory.state.clock.now().getTime() + boardSettings.jobLeaseMs });

    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({});
    memory.state.clock.advance(boardSettings.jobLeaseMs - 1);
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({});
    expect(memory.state.boardsApi.callsTo('listBoards')).toHaveLength(2);

    memory.state.clock.advance(1);
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({ sandbox: 'succeeded' });
    const bookmarks = memory.state.boardsApi.callsTo('listBoards').map((call) => call.bookmark);
    // Page 2 was read but never saved, so it is read again; page 1 is not.
    expect(bookmarks[2]).toBe(bookmarks[1]);
    expect(bookmarks).toHaveLength(4);
    expect(new Set(bookmarks).size).toBe(3);
    expect(stored(memory, jobId)).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: 600 });
    expect(memory.state.boards.boardIdsOf(ENV)).toHaveLength(600);
  });

  it('resumeBoardSyncs goes on with each environment’s job that may, and leaves the others', async () => {
    const memory = setUp(300);
    seedConnection(memory.state, 'production');
    memory.state.boardsApi.seedBoards('production', 300);
    memory.state.boardsApi.failNext('listBoards', { rateLimited: { resetSeconds: 3_600 } });
    const sandbox = await started(memory, 'sandbox');
    const production = await started(memory, 'production');
    await runBoardSync(memory.deps, sandbox, memory.deadline());
    expect(stored(memory, sandbox).status).toBe('paused');

    // Production's first invocation never ran; its job has no lease, so the schedule takes it.
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({ production: 'succeeded' });
    expect(stored(memory, production)).toMatchObject({ status: 'succeeded', boardsSeen: 300 });
    expect(stored(memory, sandbox).status).toBe('paused');

    memory.state.clock.advance(3_600_000);
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({ sandbox: 'succeeded' });
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({});
  });

  it('a finished job is not run again', async () => {
    const memory = setUp(10);
    const jobId = await started(memory);
    const done = await runBoardSync(memory.deps, jobId, memory.deadline());
    await expect(runBoardSync(memory.deps, jobId, memory.deadline())).resolves.toEqual(done);
    expect(memory.state.boardsApi.callsTo('listBoards')).toHaveLength(1);
  });

  it('an unknown job is a NotFoundError', async () => {
    const memory = setUp(10);
    await rejectionOf(runBoardSync(memory.deps, 'sandbox.unknown', memory.deadline()), NotFoundError);
  });
});

describe('stale removal: boards gone from Pinterest', () => {
  async function syncedOnce(boards: number) {
    const memory = setUp(boards);
    await runBoardSync(memory.deps, await started(memory), memory.deadline());
    memory.state.clock.advance(60 * MINUTE);
    return memory;
  }

  it('leave the snapshot only after a complete pass, not after a paused one', async () => {
    const memory = await syncedOnce(300);
    const [first, , third] = memory.state.boardsApi.boardsOf(ENV);
    const last = memory.state.boardsApi.boardsOf(ENV).at(-1);
    for (const board of [first, last]) memory.state.boardsApi.removeBoard(ENV, board?.id ?? '');

    memory.state.boardsApi.failNext('listBoards', undefined, { rateLimited: { resetSeconds: 60 } });
    const jobId = await started(memory);
    await expect(runBoardSync(memory.deps, jobId, memory.deadline())).resolves.toMatchObject({ status: 'paused' });
    expect(memory.state.boards.boardIdsOf(ENV)).toHaveLength(300);
    expect(memory.state.boards.boardIdsOf(ENV)).toContain(first?.id);

    memory.state.clock.advance(MINUTE);
    await expect(resumeBoardSyncs(memory.deps, memory.deadline())).resolves.toEqual({ sandbox: 'succeeded' });
    const left = memory.state.boards.boardIdsOf(ENV);
    expect(left).toHaveLength(298);
    expect(left).not.toContain(first?.id);
    expect(left).not.toContain(last?.id);
    expect(left).toContain(third?.id);
    expect(memory.state.boards.snapshotOf(ENV)).toMatchObject({ jobId, boardCount: 298 });
  });

  it('stay after a failed pass', async () => {
    const memory = await syncedOnce(300);
    const [gone] = memory.state.boardsApi.boardsOf(ENV);
    memory.state.boardsApi.removeBoard(ENV, gone?.id ?? '');
    memory.state.boardsApi.failNext('listBoards', undefined, 'forbidden');
    await expect(runBoardSync(memory.deps, await started(memory), memory.deadline())).resolves.toMatchObject({ status: 'failed' });
    expect(memory.state.boards.boardIdsOf(ENV)).toContain(gone?.id);
    expect(memory.state.boards.snapshotOf(ENV)?.boardCount).toBe(300);
  });

  it('a board created after the job started is kept, even though the pass never listed it', async () => {
    const memory = setUp(300);
    const jobId = await started(memory);
    memory.state.clock.advance(1_000);
    let created: Awaited<ReturnType<typeof createBoard>> | undefined;
    memory.state.boardsApi.whileAnswering('listBoards', () => undefined);
    // While Pinterest answers the last page (without it), the operator creates a board.
    memory.state.boardsApi.whileAnswering('listBoards', async () => {
      created = await createBoard(memory.container(), ENV, { name: 'Made meanwhile' });
    });
    await expect(runBoardSync(memory.deps, jobId, memory.deadline())).resolves.toMatchObject({ status: 'succeeded', boardsSeen: 300 });
    expect(idsRead(memory)).not.toContain(created?.id);
    expect(memory.state.boards.boardIdsOf(ENV)).toHaveLength(301);
    expect(memory.state.boards.boardIdsOf(ENV)).toContain(created?.id);
  });

  it('a board created before the job started and gone from Pinterest by its pass is removed', async () => {
    const memory = setUp(3);
    const created = await createBoard(memory.deps, ENV, { name: 'Short-lived' });
    memory.state.boardsApi.removeBoard(ENV, created.id);
    memory.state.clock.advance(1_000);
    await runBoardSync(memory.deps, await started(memory), memory.deadline());
    expect(memory.state.boards.boardIdsOf(ENV)).toHaveLength(3);
    expect(memory.state.boards.boardIdsOf(ENV)).not.toContain(created.id);
  });

  it('the cached sections of a removed board go too', async () => {
    const memory = await syncedOnce(10);
    const [gone, kept] = memory.state.boardsApi.boardsOf(ENV);
    const goneId = gone?.id ?? '';
    const keptId = kept?.id ?? '';
    memory.state.boardsApi.setSections(ENV, goneId, ['Stones', 'Moss']);
    memory.state.boardsApi.setSections(ENV, keptId, ['Water']);
    await boardSections(memory.deps, ENV, goneId, false);
    await boardSections(memory.deps, ENV, keptId, false);
    memory.state.boardsApi.removeBoard(ENV, goneId);

    await runBoardSync(memory.deps, await started(memory), memory.deadline());
    expect(memory.state.boards.boardIdsOf(ENV)).not.toContain(goneId);
    expect(memory.state.boards.sectionsOf(ENV, goneId)).toBeUndefined();
    expect(memory.state.boards.sectionsOf(ENV, keptId)?.sections).toEqual([{ id: expect.any(String), name: 'Water' }]);
    await rejectionOf(boardSections(memory.deps, ENV, goneId, false), NotFoundError);
  });

  it('only the environment synced loses boards', async () => {
    const memory = await syncedOnce(5);
    seedConnection(memory.state, 'production');
    memory.state.boardsApi.seedBoards('production', 5);
    await runBoardSync(memory.deps, await started(memory, 'production'), memory.deadline());
    memory.state.clock.advance(MINUTE);
    for (const board of memory.state.boardsApi.boardsOf(ENV)) memory.state.boardsApi.removeBoard(ENV, board.id);

    await runBoardSync(memory.deps, await started(memory, 'sandbox'), memory.deadline());
    expect(memory.state.boards.boardIdsOf('sandbox')).toEqual([]);
    expect(memory.state.boards.boardIdsOf('production')).toHaveLength(5);
    expect(memory.state.boards.snapshotOf('sandbox')).toMatchObject({ boardCount: 0 });
  });
});

describe('ReauthorizationRequiredError carries the state the account is in', () => {
  it('says reauthorization_required', async () => {
    const memory = setUp(0, { account: { status: 'reauthorization_required' } });
    const error = await rejectionOf(startBoardSync(memory.startDeps, ENV), ReauthorizationRequiredError);
    expect(error.details).toEqual({ currentState: 'reauthorization_required' });
  });
});
