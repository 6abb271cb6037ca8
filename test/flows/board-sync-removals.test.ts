import { SEED } from '../../local/emulators/pinterest';
import { resumeBoardSyncs, runBoardSync, startBoardSync } from '../../shared/use-cases/board-sync';
import type { PinterestBoardsPort } from '../../shared/use-cases/board-ports';
import {
  allBoards,
  boardListCalls,
  getJob,
  getSections,
  postBoard,
  resetBoardFlow,
  setUpBoardFlow,
  syncAndWait,
  withRateLimitOnSecondPage,
  workflowItem,
  type BoardJson,
} from '../support/board-flow';

/**
 * What leaves the snapshot: a board deleted at Pinterest goes after the next complete sync, never
 * after one that paused before its last page; a board created with POST /boards while a sync runs
 * stays, even though that sync never listed it.
 */

const flow = setUpBoardFlow('board-sync-removals');
const LISTED = SEED.production.listedWithoutSecretScope;
const plentyOfTime = () => 60_000;
/** On the 3rd page: the seed's 560th board. */
const LATE_BOARD = '549755813000000560';

beforeEach(async () => {
  await resetBoardFlow(flow);
  flow.emulator.controls.setTier('standard'); // a 429 says "reset in 60 s"
});

const ids = (boards: BoardJson[]) => boards.map((b) => b.id);

describe('boards leaving the snapshot', () => {
  it('a board deleted at Pinterest stays after a sync that paused before finishing, and leaves with the next complete one (its sections too)', async () => {
    const first = await syncAndWait(flow);
    expect(first).toMatchObject({ status: 'succeeded', boardsSeen: LISTED });
    const gone = SEED.known.firstBoard.id; // on page 1, with 4 sections
    expect((await getSections('production', gone)).statusCode).toBe(200);
    expect(await workflowItem(flow, 'BOARDS#production', `SECTIONS#${gone}`)).toBeDefined();
    flow.emulator.controls.deleteBoard('production', gone);
    flow.emulator.controls.deleteBoard('production', LATE_BOARD);

    // The next sync pauses at page 2: nothing is removed, and the snapshot's time stays the first sync's.
    flow.clock.set(new Date());
    const { job } = await startBoardSync({ ...flow.deps, accounts: flow.deps.tokens.accounts }, 'production');
    const paused = await withRateLimitOnSecondPage(flow, 'production', () => runBoardSync(flow.deps, job.jobId, plentyOfTime));
    expect(paused).toMatchObject({ status: 'paused', pagesRead: 1, boardsSeen: 250 });
    const during = await allBoards('production');
    expect(during.boards).toHaveLength(LISTED);
    expect(ids(during.boards)).toEqual(expect.arrayContaining([gone, LATE_BOARD]));
    expect(during.syncedAt).toBe(first.finishedAt);

    // Resumed to the end: both deleted boards leave, and the cached sections with the first.
    flow.clock.advance(61_000);
    expect(await resumeBoardSyncs(flow.deps, plentyOfTime)).toEqual({ production: 'succeeded' });
    const after = await allBoards('production');
    expect(after.boards).toHaveLength(LISTED - 2);
    expect(ids(after.boards)).not.toContain(gone);
    expect(ids(after.boards)).not.toContain(LATE_BOARD);
    expect(after.syncedAt).toBe((await getJob(job.jobId)).finishedAt);
    expect(await getJob(job.jobId)).toMatchObject({ status: 'succeeded', boardsSeen: LISTED - 2 });
    expect((await getSections('production', gone)).statusCode).toBe(404);
    expect(await workflowItem(flow, 'BOARDS#production', `SECTIONS#${gone}`)).toBeUndefined();
    expect(await workflowItem(flow, 'BOARDS#production', `BOARD#${gone}`)).toBeUndefined();
  }, 30_000);

  it('a board deleted at Pinterest leaves with the next sync through the handlers', async () => {
    await syncAndWait(flow);
    flow.emulator.controls.deleteBoard('production', LATE_BOARD);
    const second = await syncAndWait(flow);
    expect(second).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: LISTED - 1 });
    const { boards } = await allBoards('production');
    expect(boards).toHaveLength(LISTED - 1);
    expect(ids(boards)).not.toContain(LATE_BOARD);
  }, 30_000);

  it('a board created with POST /boards while a sync reads its last page is kept, though that sync never listed it', async () => {
    await syncAndWait(flow);
    // The operator creates a board just as the sync's last list call is answered: Pinterest listed
    // the page before the board existed, and the sync's clean-up comes after the creation.
    let created: BoardJson | undefined;
    const pinterest: PinterestBoardsPort = {
      listBoards: async (env, token, options) => {
        const page = await flow.deps.pinterest.listBoards(env, token, options);
        if (page.data.bookmark === null) {
          const res = await postBoard({ environment: 'production', name: 'Created during the sync' });
          expect(res.statusCode).toBe(201);
          created = res.json() as BoardJson;
        }
        return page;
      },
      createBoard: (...args) => flow.deps.pinterest.createBoard(...args),
      listSections: (...args) => flow.deps.pinterest.listSections(...args),
    };
    const deps = { ...flow.deps, pinterest };
    flow.clock.set(new Date());
    const { job } = await startBoardSync({ ...deps, accounts: deps.tokens.accounts }, 'production');
    const done = await runBoardSync(deps, job.jobId, plentyOfTime);
    expect(done).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: LISTED });
    expect(created).toBeDefined();

    const { boards } = await allBoards('production');
    expect(boards).toHaveLength(LISTED + 1);
    expect(boards.find((b) => b.id === created?.id)).toMatchObject({ name: 'Created during the sync', group: false });
    // And the next complete sync lists it like any other.
    const next = await syncAndWait(flow);
    expect(next).toMatchObject({ status: 'succeeded', boardsSeen: LISTED + 1 });
    expect(ids((await allBoards('production')).boards)).toContain(created?.id);
    expect(boardListCalls(flow)).toHaveLength(9); // three syncs of 3 calls
  }, 30_000);
});
