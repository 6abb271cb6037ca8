import { SEED } from '../../local/emulators/pinterest';
import { resumeBoardSyncs, runBoardSync, startBoardSync } from '../../shared/use-cases/board-sync';
import { allBoards, getSections, requestsTo, resetBoardFlow, setUpBoardFlow, syncAndWait, waitFor, withRateLimitOnSecondPage } from '../support/board-flow';

/**
 * GET /boards/{id}/sections through the real handler against the emulator: fetched from Pinterest on
 * first use, then served from the cache until `refresh=true`; the count shows on the board in
 * GET /boards; a board not in the snapshot is a 404 without a Pinterest call.
 */

const flow = setUpBoardFlow('board-sections');
const FIRST = SEED.known.firstBoard;
const FOURTH = SEED.known.fourthBoard;

interface SectionsJson {
  environment: string;
  boardId: string;
  fetchedAt: string;
  cached: boolean;
  sections: Array<{ id: string; name: string }>;
}

const sectionCalls = (boardId: string) => requestsTo(flow, 'GET', `/v5/boards/${boardId}/sections`);

beforeEach(async () => {
  await resetBoardFlow(flow);
});

describe('board sections', () => {
  it('are fetched from Pinterest once, then served from the cache (cached: true, the same fetchedAt)', async () => {
    await syncAndWait(flow);
    const first = await getSections('production', FIRST.id);
    expect(first.statusCode).toBe(200);
    const body = first.json() as SectionsJson;
    expect(body).toMatchObject({ environment: 'production', boardId: FIRST.id, cached: false });
    expect(body.sections).toHaveLength(FIRST.sections);
    expect(body.sections.every((s) => /^\d+$/.test(s.id) && s.name !== '')).toBe(true);
    expect(sectionCalls(FIRST.id).map((c) => c.query.page_size)).toEqual(['250']);

    const again = (await getSections('production', FIRST.id)).json() as SectionsJson;
    expect(again).toEqual({ ...body, cached: true });
    expect(sectionCalls(FIRST.id)).toHaveLength(1);
  });

  it('are fetched again with refresh=true, and the new answer is what the cache serves next', async () => {
    await syncAndWait(flow);
    const first = (await getSections('production', FIRST.id)).json() as SectionsJson;
    await new Promise((resolve) => setTimeout(resolve, 5));

    const refreshed = (await getSections('production', FIRST.id, 'true')).json() as SectionsJson;
    expect(refreshed).toMatchObject({ cached: false, sections: first.sections });
    expect(Date.parse(refreshed.fetchedAt)).toBeGreaterThan(Date.parse(first.fetchedAt));
    expect(sectionCalls(FIRST.id)).toHaveLength(2);

    expect((await getSections('production', FIRST.id, 'false')).json()).toEqual({ ...refreshed, cached: true });
    expect(sectionCalls(FIRST.id)).toHaveLength(2);
  });

  it("show their count on the board in GET /boards once fetched (0 for a board without sections, null before)", async () => {
    await syncAndWait(flow);
    await getSections('production', FIRST.id);
    await getSections('production', FOURTH.id);
    const { boards } = await allBoards('production');
    expect(boards.find((b) => b.id === FIRST.id)?.sectionCount).toBe(FIRST.sections);
    expect(boards.find((b) => b.id === FOURTH.id)?.sectionCount).toBe(0);
    expect(boards.find((b) => b.id === SEED.known.secondBoard.id)?.sectionCount).toBeNull();
  });

  it('answer 404 for a board not in the snapshot (unknown, or before any sync) without calling Pinterest; 400 for a malformed id or refresh', async () => {
    const before = await getSections('production', FIRST.id);
    expect(before.statusCode).toBe(404);
    expect(before.text).toContain('POST /boards/sync');
    await syncAndWait(flow);
    const unknown = await getSections('production', '549755813099999999');
    expect(unknown.statusCode).toBe(404);
    // Known to production only: the sandbox's snapshot is another.
    expect((await getSections('sandbox', FIRST.id)).statusCode).toBe(404);
    expect(requestsTo(flow, 'GET', /\/sections$/)).toEqual([]);

    const malformed = await getSections('production', 'abc');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.text).toContain('numeric');
    const badRefresh = await getSections('production', FIRST.id, 'yes');
    expect(badRefresh.statusCode).toBe(400);
    expect(badRefresh.text).toContain('refresh');
    expect(requestsTo(flow, 'GET', /\/sections$/)).toEqual([]);
  });
});

describe('board sections and later syncs', () => {
  // A sync rewrites each board's whole record from Pinterest's answer; the count comes from the
  // cached sections at listing time, so it survives.
  it('keep sectionCount in GET /boards after a later sync, while the sections are still cached', async () => {
    await syncAndWait(flow);
    await getSections('production', FIRST.id);
    await syncAndWait(flow);
    expect(((await getSections('production', FIRST.id)).json() as SectionsJson).cached).toBe(true);
    const { boards } = await allBoards('production');
    expect(boards.find((b) => b.id === FIRST.id)?.sectionCount).toBe(FIRST.sections);
  });

  // A sections fetch writes only the sections record: were it to write back the board it read (with
  // its old syncedAt), a sync that wrote the board in between would take it for gone and remove it.
  it('leave a board in the snapshot when its sections are fetched while a sync runs', async () => {
    flow.emulator.controls.setTier('standard');
    await syncAndWait(flow);
    // The sections request reads the board, then waits on Pinterest for 1.5 s.
    flow.emulator.controls.injectFault({ host: 'production', method: 'GET', path: `/v5/boards/${FIRST.id}/sections`, kind: 'delay', ms: 1500 });
    const sections = getSections('production', FIRST.id);
    await waitFor(() => sectionCalls(FIRST.id).length === 1, 'the sections call');
    // Meanwhile a sync starts and writes the first page (this board among it), then pauses on a 429.
    flow.clock.set(new Date());
    const { job } = await startBoardSync({ ...flow.deps, accounts: flow.deps.tokens.accounts }, 'production');
    await withRateLimitOnSecondPage(flow, 'production', () => runBoardSync(flow.deps, job.jobId, () => 60_000));
    expect((await sections).statusCode).toBe(200);
    // The sync goes on to the end.
    flow.clock.advance(61_000);
    expect(await resumeBoardSyncs(flow.deps, () => 60_000)).toEqual({ production: 'succeeded' });
    const { boards } = await allBoards('production');
    expect(boards.map((b) => b.id)).toContain(FIRST.id);
  });
  // Pinterest's refusals are answered in plain words, never as a 500.
  it('answer 404 for a board deleted at Pinterest since the last sync, and a Pinterest 429 with a 429 and Retry-After, not 500', async () => {
    await syncAndWait(flow);
    flow.emulator.controls.deleteBoard('production', FIRST.id);
    const deleted = await getSections('production', FIRST.id);
    expect(deleted.statusCode).toBe(404);
    flow.emulator.controls.injectFault({ host: 'production', method: 'GET', path: '/v5/boards/*', kind: 'rate_limit' });
    const limited = await getSections('production', FOURTH.id);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(deleted.text).toContain('sync the boards');
    flow.emulator.controls.injectFault({ host: 'production', method: 'GET', path: '/v5/boards/*', kind: 'status', status: 500 });
    const failed = await getSections('production', FOURTH.id);
    expect(failed.statusCode).toBe(502);
    expect((failed.json() as { error: { code: string } }).error.code).toBe('dependency_failed');
  });
});
