import { MIRA, allBoards, batchWrites, boardListCalls, getJob, postSync, resetBoardFlow, setUpBoardFlow, type JobJson } from '../support/board-flow';

/**
 * A sync of 10,000 boards (the sandbox, which starts empty, seeded for the default account) through
 * the real handlers: ⌊10,000/250⌋+1 = 41 list calls (the 40th page is full, so it carries a bookmark,
 * and the 41st is empty) and 400 BatchWriteItem calls of 25 boards.
 */

const flow = setUpBoardFlow('board-sync-large');

beforeAll(async () => {
  await resetBoardFlow(flow, ['sandbox']);
});

describe('board sync of 10,000 boards', () => {
  it('takes exactly 41 list calls and 400 BatchWriteItem calls, and leaves all 10,000 boards in the snapshot', async () => {
    const seeded = flow.emulator.controls.seedBoards('sandbox', MIRA, 10_000);
    const startedAt = Date.now();
    const res = await postSync('sandbox');
    expect(res.statusCode).toBe(202);
    await flow.server().background.idle();
    const seconds = (Date.now() - startedAt) / 1000;
    process.stderr.write(`10,000-board sync: ${seconds.toFixed(1)} s\n`);

    const job = await getJob((res.json() as JobJson).jobId);
    expect(job).toMatchObject({ status: 'succeeded', pagesRead: 41, boardsSeen: 10_000 });
    const calls = boardListCalls(flow, 'sandbox');
    expect(calls).toHaveLength(41);
    expect(calls.every((c) => c.query.page_size === '250')).toBe(true);
    expect(new Set(calls.map((c) => c.query.bookmark)).size).toBe(41);
    expect(batchWrites(flow)).toEqual({ boards: 400, boardItems: 10_000, other: 1 });

    const { boards, syncedAt } = await allBoards('sandbox');
    expect(syncedAt).toBe(job.finishedAt);
    expect(boards.map((b) => b.id).sort()).toEqual([...seeded].sort());
  }, 120_000);
});
