import { SEED } from '../../local/emulators/pinterest';
import {
  allBoards,
  batchWrites,
  boardListCalls,
  getBoards,
  getJob,
  postSync,
  productToken,
  resetBoardFlow,
  setUpBoardFlow,
  waitFor,
  type BoardListJson,
  type JobJson,
} from '../support/board-flow';

/**
 * The board sync through the real handlers: POST /boards/sync starts the `syncBoards` function
 * (Lambda's Invoke API served in this process), which reads the emulator's production boards into the
 * snapshot; GET /boards/sync/{jobId} shows its progress and GET /boards the snapshot. Pinterest calls
 * are counted at the emulator, DynamoDB requests at the SDK client the functions use.
 *
 * The seed's default account has 600 boards, 4 of them SECRET: listing those needs
 * `boards:read_secret`, which the publisher does not ask for (docs/boards.md), so a sync sees 596
 * (250 + 250 + 96: still 3 list calls and 24 batches).
 */

const flow = setUpBoardFlow('board-sync');
const LISTED = SEED.production.listedWithoutSecretScope;

beforeEach(async () => {
  await resetBoardFlow(flow);
});

describe('board sync of the production seed', () => {
  it('reads every board in exactly 3 list calls of page_size=250 (going on from the bookmark before) and writes them in 24 BatchWriteItem calls', async () => {
    expect(LISTED).toBe(596);
    const started = await postSync('production');
    expect(started.statusCode).toBe(202);
    const job = started.json() as JobJson;
    expect(job).toMatchObject({ environment: 'production', status: 'running', pagesRead: 0, boardsSeen: 0, started: true, finishedAt: null });
    expect(started.headers.location).toBe(`/boards/sync/${job.jobId}`);
    await flow.server().background.idle();

    const done = await getJob(job.jobId);
    expect(done).toMatchObject({ jobId: job.jobId, status: 'succeeded', pagesRead: 3, boardsSeen: LISTED });
    expect(done.finishedAt).not.toBeNull();

    // Pinterest: 3 calls, each at the maximum page size, each after the first going on from a bookmark
    // (bookmarks hold +, / and =: the emulator answers 400 to one sent without percent-encoding).
    const calls = boardListCalls(flow);
    expect(calls.map((c) => c.query.page_size)).toEqual(['250', '250', '250']);
    const [first, second, third] = calls.map((c) => c.query.bookmark);
    expect(first).toBeUndefined();
    expect(second).toMatch(/[+/=]/);
    expect(third).toMatch(/[+/=]/);
    expect(second).not.toBe(third);
    // …the very bookmark the page before answered (replayed with the product's own token).
    const token = await productToken(flow, 'production');
    const page = async (bookmark?: string) => {
      const url = new URL(`${flow.emulator.urls.production}/boards`);
      url.searchParams.set('page_size', '250');
      if (bookmark !== undefined) url.searchParams.set('bookmark', bookmark);
      return (await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as { bookmark: string | null };
    };
    expect((await page()).bookmark).toBe(second);
    expect((await page(second)).bookmark).toBe(third);
    expect((await page(third)).bookmark).toBeNull();

    // DynamoDB, counted at the SDK client: 10 + 10 + 4 batches of at most 25 boards, then the one
    // write of the snapshot record (SNAPSHOT: the sync's time and job), also a BatchWriteItem.
    expect(batchWrites(flow)).toEqual({ boards: 24, boardItems: LISTED, other: 1 });
    expect(flow.dynamo.filter((r) => r.command === 'BatchWriteItem')).toHaveLength(25);
  }, 30_000);

  it('puts every board in the snapshot once, group boards marked, and GET /boards pages through them all with nextCursor and syncedAt', async () => {
    const before = (await getBoards({ environment: 'production' })).json() as BoardListJson;
    expect(before).toEqual({ environment: 'production', syncedAt: null, items: [] });

    const res = await postSync('production');
    await flow.server().background.idle();
    const done = await getJob((res.json() as JobJson).jobId);

    const { boards, pages, syncedAt } = await allBoards('production');
    expect(pages).toBe(6); // limit=100
    expect(boards).toHaveLength(LISTED);
    expect(new Set(boards.map((b) => b.id)).size).toBe(LISTED);
    expect(syncedAt).toBe(done.finishedAt);
    // Exactly what Pinterest lists to the product's token.
    const token = await productToken(flow, 'production');
    const listed: string[] = [];
    let bookmark: string | null = null;
    do {
      const url = new URL(`${flow.emulator.urls.production}/boards`);
      url.searchParams.set('page_size', '250');
      if (bookmark !== null) url.searchParams.set('bookmark', bookmark);
      const body = (await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: Array<{ id: string }>; bookmark: string | null };
      listed.push(...body.items.map((b) => b.id));
      bookmark = body.bookmark;
    } while (bookmark !== null);
    expect(boards.map((b) => b.id).sort()).toEqual(listed.sort());

    // Group boards: the two of Mira's shared with someone_else, and the three of someone_else's she joined.
    const groups = boards.filter((b) => b.group);
    expect(groups).toHaveLength(SEED.production.groupBoards);
    expect(groups.filter((b) => b.owner === 'someone_else')).toHaveLength(3);
    expect(boards.find((b) => b.id === SEED.known.joinedGroupBoard.id)).toMatchObject({ name: SEED.known.joinedGroupBoard.name, owner: 'someone_else', group: true });
    expect(boards.find((b) => b.id === SEED.known.firstBoard.id)).toEqual({
      id: SEED.known.firstBoard.id,
      name: 'Zen Garden Ideas',
      description: 'Ideas and inspiration: Zen Garden Ideas.',
      privacy: 'PUBLIC',
      owner: 'miradigitalzen',
      group: false,
      sectionCount: null,
      syncedAt: expect.any(String) as unknown,
    });
    expect(boards.filter((b) => b.privacy === 'SECRET')).toEqual([]);
    expect(boards.filter((b) => b.privacy === 'PROTECTED')).toHaveLength(SEED.production.protectedBoards);
    expect(boards.some((b) => b.name.includes('&'))).toBe(true);
  }, 30_000);

  it('finds boards by name, case-insensitively (q=zen and q=ZEN), across pages', async () => {
    await postSync('production');
    await flow.server().background.idle();
    const { boards } = await allBoards('production');
    const expected = boards.filter((b) => b.name.toLowerCase().includes('zen')).map((b) => b.id);
    expect(expected.length).toBeGreaterThan(10);

    const lower = await allBoards('production', { q: 'zen', limit: '7' });
    const upper = await allBoards('production', { q: 'ZEN', limit: '7' });
    expect(lower.boards.map((b) => b.id)).toEqual(expected);
    expect(upper.boards.map((b) => b.id)).toEqual(expected);
    // Pages of 7 (the last page may come out empty: a cursor is handed out while unread boards remain).
    expect(lower.pages).toBeGreaterThanOrEqual(Math.ceil(expected.length / 7));
    expect(lower.pages).toBeLessThanOrEqual(Math.ceil(expected.length / 7) + 1);
    expect(lower.boards.map((b) => b.name)).toContain('Zen Garden Ideas');
  }, 30_000);

  it('shows progress while it runs, and a second POST during the run answers the same job (202, started: false) without a second sync', async () => {
    // Each list call takes 0.6 s more, so the job is seen between pages.
    flow.emulator.controls.injectFault({ host: 'production', method: 'GET', path: '/v5/boards', kind: 'delay', ms: 600, times: 3 });
    const first = await postSync('production');
    expect(first.statusCode).toBe(202);
    const { jobId } = first.json() as JobJson;

    let seen: JobJson | undefined;
    await waitFor(async () => {
      seen = await getJob(jobId);
      return seen.pagesRead >= 1;
    }, 'the first page to be read');
    expect(seen).toMatchObject({ jobId, status: 'running', finishedAt: null });
    expect(seen?.pagesRead).toBeLessThan(3);
    expect(seen?.boardsSeen).toBe((seen?.pagesRead ?? 0) * 250);

    const again = await postSync('production');
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ jobId, status: 'running', started: false });
    expect(again.headers.location).toBe(`/boards/sync/${jobId}`);

    await flow.server().background.idle();
    expect(await getJob(jobId)).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: LISTED });
    expect(boardListCalls(flow)).toHaveLength(3);
    expect(batchWrites(flow).boards).toBe(24);

    // Once it finished, a POST starts a new job.
    const next = await postSync('production');
    expect(next.json()).toMatchObject({ status: 'running', started: true });
    expect((next.json() as JobJson).jobId).not.toBe(jobId);
    await flow.server().background.idle();
    expect(boardListCalls(flow)).toHaveLength(6);
  }, 30_000);
});
