import { PinterestApiError } from '../../shared/adapters/pinterest/errors';
import { boardRecordFrom, isGroupBoard, nameMatches } from '../../shared/domain/boards';
import { AppError, NotFoundError, RateLimitedError, ValidationError } from '../../shared/domain/errors';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import type { PinterestBoard } from '../../shared/domain/pinterest-api';
import { runBoardSync, startBoardSync } from '../../shared/use-cases/board-sync';
import { boardSections, createBoard, listSnapshot } from '../../shared/use-cases/boards';
import { ReauthorizationRequiredError } from '../../shared/use-cases/token-source';
import { memoryBoardDeps, type MemoryBoards } from '../support/memory-boards';
import { seedConnection } from '../support/memory-tokens';
import { rejectionOf } from '../support/rejection';

const ENV = 'sandbox' satisfies PinterestEnvironment;

function setUp(options: Parameters<typeof seedConnection>[2] = {}) {
  const memory = memoryBoardDeps();
  const seeded = seedConnection(memory.state, ENV, options);
  return { ...memory, ...seeded };
}

/** A complete sync of the environment, as POST /boards/sync and its job do it. */
async function sync(memory: MemoryBoards, env: PinterestEnvironment = ENV) {
  const { job } = await startBoardSync(memory.startDeps, env);
  return runBoardSync(memory.deps, job.jobId, memory.deadline());
}

/** Every page of a listing, following nextCursor. */
async function allPages(memory: MemoryBoards, options: { q?: string; limit: number }) {
  const pages: Array<Awaited<ReturnType<typeof listSnapshot>>> = [];
  let cursor: string | undefined;
  do {
    const page = await listSnapshot(memory.deps, ENV, { ...options, ...(cursor === undefined ? {} : { cursor }) });
    pages.push(page);
    cursor = page.nextCursor;
    if (pages.length > 1_000) throw new Error('the listing does not end');
  } while (cursor !== undefined);
  return pages;
}

describe('listSnapshot: GET /boards', () => {
  it('pages with nextCursor cover every board exactly once, in board-id order', async () => {
    const memory = setUp();
    memory.state.boardsApi.seedBoards(ENV, 130);
    await sync(memory);
    const pages = await allPages(memory, { limit: 50 });
    expect(pages.map((page) => page.items.length)).toEqual([50, 50, 30]);
    expect(pages.at(-1)?.nextCursor).toBeUndefined();
    const ids = pages.flatMap((page) => page.items.map((board) => board.id));
    expect(ids).toEqual(memory.state.boardsApi.boardsOf(ENV).map((board) => board.id));
  });

  it('a listing that ends on a full page ends with an empty one at most, and repeats nothing', async () => {
    const memory = setUp();
    memory.state.boardsApi.seedBoards(ENV, 100);
    await sync(memory);
    const pages = await allPages(memory, { limit: 50 });
    expect(pages.slice(0, 2).map((page) => page.items.length)).toEqual([50, 50]);
    expect(pages.slice(2).every((page) => page.items.length === 0)).toBe(true);
    expect(new Set(pages.flatMap((page) => page.items.map((board) => board.id))).size).toBe(100);
  });

  it('shows each board as the operator sees it', async () => {
    const memory = setUp();
    memory.state.boardsApi.addBoard(ENV, { name: 'Zen Garden', description: 'Stones and moss', privacy: 'SECRET', collaborator_count: 2 });
    await sync(memory);
    const { items } = await listSnapshot(memory.deps, ENV, { limit: 10 });
    expect(items).toEqual([
      {
        id: expect.stringMatching(/^\d+$/),
        name: 'Zen Garden',
        description: 'Stones and moss',
        privacy: 'SECRET',
        owner: 'mira',
        group: true,
        sectionCount: null,
        syncedAt: '2026-03-01T09:00:00.000Z',
      },
    ]);
  });

  describe('q: names containing it, case-insensitively and Unicode-aware', () => {
    const names = ['Zen Garden', 'zen kitchen', 'Garden of ZEN', 'CAFÉ Corner', 'Cafe\u0301 au lait', 'Cafe Racer', 'ﬁne Art', 'Fine Dining', 'Other'];

    async function matches(q: string): Promise<string[]> {
      const memory = setUp();
      for (const name of names) memory.state.boardsApi.addBoard(ENV, { name });
      await sync(memory);
      const { items } = await listSnapshot(memory.deps, ENV, { q, limit: 100 });
      return items.map((board) => board.name);
    }

    it.each([
      ['ZEN', ['Zen Garden', 'zen kitchen', 'Garden of ZEN']],
      ['garden', ['Zen Garden', 'Garden of ZEN']],
      ['café', ['CAFÉ Corner', 'Cafe\u0301 au lait']],
      ['CAFE\u0301', ['CAFÉ Corner', 'Cafe\u0301 au lait']],
      ['cafe', ['Cafe Racer']],
      ['FINE', ['ﬁne Art', 'Fine Dining']],
      ['ﬁ', ['ﬁne Art', 'Fine Dining']],
      ['nothing like it', []],
    ])('q=%j finds %j', async (q, expected) => {
      await expect(matches(q)).resolves.toEqual(expected);
    });

    it('nameMatches folds both sides the same way', () => {
      expect(nameMatches('Zen Garden', 'ZEN')).toBe(true);
      expect(nameMatches('CAFÉ', 'café')).toBe(true);
      expect(nameMatches('ﬁsh', 'FISH')).toBe(true);
      expect(nameMatches('Fish', 'ﬁ')).toBe(true);
      expect(nameMatches('Cafe', 'café')).toBe(false);
    });
  });

  it('a filtered listing paged with a small limit skips and repeats nothing', async () => {
    const memory = setUp();
    // 300 boards (more than one store query of 100), every 7th a Zen board in some case.
    const spellings = ['Zen', 'ZEN', 'zen'];
    memory.state.boardsApi.seedBoards(ENV, 300, (i) => (i % 7 === 3 ? { name: `${spellings[i % 3] ?? 'Zen'} board ${String(i)}` } : {}));
    await sync(memory);
    const expected = memory.state.boardsApi
      .boardsOf(ENV)
      .filter((board) => board.name.toLowerCase().includes('zen'))
      .map((board) => board.id);
    expect(expected).toHaveLength(43);

    const pages = await allPages(memory, { q: 'zEn', limit: 3 });
    expect(pages.flatMap((page) => page.items.map((board) => board.id))).toEqual(expected);
    expect(pages.slice(0, -1).every((page) => page.items.length === 3)).toBe(true);
    expect(pages.length).toBeLessThanOrEqual(Math.ceil(43 / 3) + 1);
  });

  it('a cursor from another listing or environment is refused', async () => {
    const memory = setUp();
    seedConnection(memory.state, 'production');
    memory.state.boardsApi.seedBoards('production', 3);
    await sync(memory, 'production');
    const { nextCursor } = await listSnapshot(memory.deps, 'production', { limit: 1 });
    expect(nextCursor).toEqual(expect.any(String));
    await rejectionOf(listSnapshot(memory.deps, ENV, { limit: 1, cursor: nextCursor ?? '' }), ValidationError);
    await rejectionOf(listSnapshot(memory.deps, ENV, { limit: 1, cursor: 'not-a-cursor' }), ValidationError);
  });

  it('syncedAt is the last complete sync’s time: null before any, unchanged by a paused one', async () => {
    const memory = setUp();
    memory.state.boardsApi.seedBoards(ENV, 300);
    await expect(listSnapshot(memory.deps, ENV, { limit: 10 })).resolves.toEqual({ environment: ENV, syncedAt: null, items: [] });

    memory.state.clock.advance(5_000);
    const job = await sync(memory);
    const listed = await listSnapshot(memory.deps, ENV, { limit: 10 });
    expect(listed.syncedAt).toBe(job.finishedAt);
    expect(listed.syncedAt).toBe('2026-03-01T09:00:05.000Z');

    memory.state.clock.advance(3_600_000);
    memory.state.boardsApi.failNext('listBoards', undefined, { rateLimited: { resetSeconds: 60 } });
    await expect(sync(memory)).resolves.toMatchObject({ status: 'paused' });
    const after = await listSnapshot(memory.deps, ENV, { limit: 10 });
    expect(after.syncedAt).toBe('2026-03-01T09:00:05.000Z');
    // The boards the paused pass wrote carry their own time.
    expect(after.items[0]?.syncedAt).toBe('2026-03-01T10:00:05.000Z');
  });

  it('lists only the environment asked for', async () => {
    const memory = setUp();
    seedConnection(memory.state, 'production');
    memory.state.boardsApi.seedBoards('production', 4);
    memory.state.boardsApi.seedBoards(ENV, 2);
    await sync(memory, 'production');
    await sync(memory, ENV);
    await expect(listSnapshot(memory.deps, ENV, { limit: 50 })).resolves.toMatchObject({ environment: ENV, items: [{}, {}] });
    expect((await listSnapshot(memory.deps, 'production', { limit: 50 })).items).toHaveLength(4);
  });
});

describe('boardSections: GET /boards/{id}/sections', () => {
  async function withBoard(sections: number) {
    const memory = setUp();
    const board = memory.state.boardsApi.addBoard(ENV, { name: 'Zen Garden' });
    const names = Array.from({ length: sections }, (_, i) => `Section ${String(i + 1)}`);
    memory.state.boardsApi.setSections(ENV, board.id, names);
    await sync(memory);
    memory.state.clock.advance(60_000);
    return { memory, board, names };
  }

  it('fetches every page from Pinterest on first use and notes the count on the board', async () => {
    const { memory, board, names } = await withBoard(260);
    const answer = await boardSections(memory.deps, ENV, board.id, false);
    expect(answer).toMatchObject({ environment: ENV, boardId: board.id, cached: false, fetchedAt: '2026-03-01T09:01:00.000Z' });
    expect(answer.sections.map((section) => section.name)).toEqual(names);
    const calls = memory.state.boardsApi.callsTo('listSections');
    expect(calls.map((call) => [call.boardId, call.pageSize, call.bookmark !== undefined])).toEqual([
      [board.id, 250, false],
      [board.id, 250, true],
    ]);
    expect(calls.every((call) => call.accessToken === memory.secret.accessToken)).toBe(true);
    // The count is read from the cached sections at listing time; the board record stays the sync's.
    expect((await listSnapshot(memory.deps, ENV, { limit: 10 })).items[0]?.sectionCount).toBe(260);
    expect(memory.state.boards.writes.filter((write) => write.op === 'putSections')).toEqual([{ op: 'putSections', items: 1, batchCalls: 1 }]);
    expect(memory.state.boards.boardsOf(ENV)[0]).not.toHaveProperty('sectionCount');
  });

  it('then answers from the cache without calling Pinterest', async () => {
    const { memory, board } = await withBoard(3);
    const first = await boardSections(memory.deps, ENV, board.id, false);
    memory.state.clock.advance(60_000);
    const again = await boardSections(memory.deps, ENV, board.id, false);
    expect(again).toEqual({ ...first, cached: true });
    expect(memory.state.boardsApi.callsTo('listSections')).toHaveLength(1);
  });

  it('refresh fetches them again and replaces the cache and the count', async () => {
    const { memory, board } = await withBoard(3);
    await boardSections(memory.deps, ENV, board.id, false);
    memory.state.boardsApi.setSections(ENV, board.id, ['Stones', 'Moss', 'Water', 'Light', 'Paths']);
    memory.state.clock.advance(60_000);

    const refreshed = await boardSections(memory.deps, ENV, board.id, true);
    expect(refreshed).toMatchObject({ cached: false, fetchedAt: '2026-03-01T09:02:00.000Z' });
    expect(refreshed.sections.map((section) => section.name)).toEqual(['Stones', 'Moss', 'Water', 'Light', 'Paths']);
    expect(memory.state.boardsApi.callsTo('listSections')).toHaveLength(2);
    expect((await listSnapshot(memory.deps, ENV, { limit: 10 })).items[0]?.sectionCount).toBe(5);
    await expect(boardSections(memory.deps, ENV, board.id, false)).resolves.toMatchObject({ cached: true, fetchedAt: '2026-03-01T09:02:00.000Z' });
  });

  it('a board without sections: one call, an empty list, a count of 0', async () => {
    const { memory, board } = await withBoard(0);
    await expect(boardSections(memory.deps, ENV, board.id, false)).resolves.toMatchObject({ cached: false, sections: [] });
    expect(memory.state.boardsApi.callsTo('listSections')).toHaveLength(1);
    expect((await listSnapshot(memory.deps, ENV, { limit: 10 })).items[0]?.sectionCount).toBe(0);
  });

  it('a board not in the snapshot is a NotFoundError, without calling Pinterest', async () => {
    const { memory, board } = await withBoard(3);
    await rejectionOf(boardSections(memory.deps, ENV, '549755813999999999', false), NotFoundError);
    // Known in another environment only: still not found in this one.
    await rejectionOf(boardSections(memory.deps, 'production', board.id, false), NotFoundError);
    expect(memory.state.boardsApi.callsTo('listSections')).toEqual([]);
  });

  it('renews an access token Pinterest no longer accepts', async () => {
    const { memory, board } = await withBoard(3);
    memory.state.pinterest.expireAccessTokens(ENV);
    await expect(boardSections(memory.deps, ENV, board.id, false)).resolves.toMatchObject({ cached: false });
    expect(memory.state.boardsApi.callsTo('listSections').map((call) => call.outcome)).toEqual(['unauthorized', 'ok']);
    expect(memory.state.pinterest.callsTo('refresh')).toHaveLength(1);
  });

  it('a sync that ran after the sections were cached keeps their count, and a later sync does not drop it', async () => {
    const { memory, board } = await withBoard(4);
    await boardSections(memory.deps, ENV, board.id, false);
    memory.state.clock.advance(60_000);
    await sync(memory);
    expect((await listSnapshot(memory.deps, ENV, { limit: 10 })).items[0]).toMatchObject({ id: board.id, sectionCount: 4 });
  });

  it('the cached sections of a board a sync removed are gone, even when cached after the sync started', async () => {
    const { memory, board } = await withBoard(2);
    const { job } = await startBoardSync(memory.startDeps, ENV);
    memory.state.boardsApi.removeBoard(ENV, board.id);
    // The sections fetch lands after the job started, before its clean-up.
    memory.state.boards.seedSections(ENV, { boardId: board.id, sections: [{ id: '1', name: 'Late' }], fetchedAt: memory.state.clock.now().toISOString() });
    memory.state.clock.advance(1_000);
    await expect(runBoardSync(memory.deps, job.jobId, memory.deadline())).resolves.toMatchObject({ status: 'succeeded' });
    expect(memory.state.boards.boardIdsOf(ENV)).toEqual([]);
    expect(memory.state.boards.sectionsOf(ENV, board.id)).toBeUndefined();
  });

  it('cached sections whose board is no longer in the snapshot (a fetch that finished after its board left) go at the next complete pass', async () => {
    const { memory, board } = await withBoard(1);
    memory.state.boards.seedSections(ENV, { boardId: '549755813999999999', sections: [{ id: '1', name: 'Orphan' }], fetchedAt: memory.state.clock.now().toISOString() });
    await boardSections(memory.deps, ENV, board.id, false);
    memory.state.clock.advance(1_000);
    await sync(memory);
    expect(memory.state.boards.sectionsOf(ENV, '549755813999999999')).toBeUndefined();
    expect(memory.state.boards.sectionsOf(ENV, board.id)?.sections).toHaveLength(1);
  });

  it('a 404 from Pinterest (the board gone there) is a NotFoundError that tells the operator to sync', async () => {
    const { memory, board } = await withBoard(3);
    memory.state.boardsApi.failNext('listSections', new PinterestApiError(ENV, 404, 404, 'Board not found.', 'rid-404', {}));
    const error = await rejectionOf(boardSections(memory.deps, ENV, board.id, false), NotFoundError);
    expect(error.message).toMatch(/sync/i);
  });

  it('a 429 is a RateLimitedError with the wait Pinterest gave', async () => {
    const { memory, board } = await withBoard(3);
    memory.state.boardsApi.failNext('listSections', { rateLimited: { resetSeconds: 42 } });
    const error = await rejectionOf(boardSections(memory.deps, ENV, board.id, false), RateLimitedError);
    expect(error.retryAfterSeconds).toBe(42);
    expect(memory.state.boards.sectionsOf(ENV, board.id)).toBeUndefined();
  });

  it('a failed fetch caches nothing, and says Pinterest failed (502) without its body', async () => {
    const { memory, board } = await withBoard(300);
    memory.state.boardsApi.failNext('listSections', undefined, 'server_error');
    const error = await rejectionOf(boardSections(memory.deps, ENV, board.id, false), AppError);
    expect(error).toMatchObject({ code: 'dependency_failed' });
    expect(error.cause).toBeInstanceOf(PinterestApiError);
    expect(memory.state.boards.sectionsOf(ENV, board.id)).toBeUndefined();
    await expect(boardSections(memory.deps, ENV, board.id, false)).resolves.toMatchObject({ cached: false });
    expect(memory.state.boards.sectionsOf(ENV, board.id)?.sections).toHaveLength(300);
  });
});

describe('createBoard: POST /boards', () => {
  it('creates the board at Pinterest with the stored token and adds it to the snapshot as the user’s own', async () => {
    const memory = setUp();
    const view = await createBoard(memory.deps, ENV, { name: 'Zen Garden Ideas', description: 'Calm', privacy: 'PUBLIC' });
    expect(view).toEqual({
      id: expect.stringMatching(/^\d+$/),
      name: 'Zen Garden Ideas',
      description: 'Calm',
      privacy: 'PUBLIC',
      owner: 'mira',
      group: false,
      sectionCount: null,
      syncedAt: '2026-03-01T09:00:00.000Z',
    });
    expect(memory.state.boardsApi.callsTo('createBoard')).toEqual([expect.objectContaining({ environment: ENV, accessToken: memory.secret.accessToken, outcome: 'ok' })]);
    expect(memory.state.boardsApi.boardsOf(ENV).map((board) => board.id)).toEqual([view.id]);
    await expect(memory.deps.boards.getBoard(ENV, view.id)).resolves.toMatchObject({ boardId: view.id, group: false, ownerUsername: 'mira' });
    await expect(listSnapshot(memory.deps, ENV, { limit: 10 })).resolves.toMatchObject({ syncedAt: null, items: [view] });
  });

  it('defaults to a public board without a description', async () => {
    const memory = setUp();
    await expect(createBoard(memory.deps, ENV, { name: 'Plain' })).resolves.toMatchObject({ privacy: 'PUBLIC', description: null });
  });

  it('renews an access token Pinterest no longer accepts, and creates the board once', async () => {
    const memory = setUp();
    memory.state.pinterest.expireAccessTokens(ENV);
    await createBoard(memory.deps, ENV, { name: 'After renewal' });
    expect(memory.state.boardsApi.callsTo('createBoard').map((call) => call.outcome)).toEqual(['unauthorized', 'ok']);
    expect(memory.state.boardsApi.boardsOf(ENV)).toHaveLength(1);
    expect(memory.state.boards.boardIdsOf(ENV)).toHaveLength(1);
  });

  it.each(['reauthorization_required', 'disconnected'] as const)('an account that is %s: ReauthorizationRequiredError, nothing created', async (status) => {
    const memory = setUp({ account: { status } });
    await rejectionOf(createBoard(memory.deps, ENV, { name: 'Nope' }), ReauthorizationRequiredError);
    expect(memory.state.boardsApi.calls).toEqual([]);
    expect(memory.state.boards.boardIdsOf(ENV)).toEqual([]);
  });

  it('no account connected: ReauthorizationRequiredError', async () => {
    const memory = memoryBoardDeps();
    await rejectionOf(createBoard(memory.deps, 'production', { name: 'Nope' }), ReauthorizationRequiredError);
  });

  it('a board Pinterest refuses is not added to the snapshot, and the refusal names Pinterest’s reason', async () => {
    const memory = setUp();
    const error = await rejectionOf(createBoard(memory.deps, ENV, { name: 'x'.repeat(181) }), ValidationError);
    expect(error.message).toMatch(/^Pinterest sandbox refused to create the board/);
    expect(error.cause).toBeInstanceOf(PinterestApiError);
    expect(memory.state.boards.boardIdsOf(ENV)).toEqual([]);
  });

  it('SECRET without the secret-board scopes is refused before any call, naming the scopes', async () => {
    const memory = setUp();
    const error = await rejectionOf(createBoard(memory.deps, ENV, { name: 'Hidden', privacy: 'SECRET' }), ValidationError);
    expect(error.message).toContain('boards:read_secret and boards:write_secret');
    expect(error.issues).toEqual([{ path: 'body.privacy', message: expect.stringContaining('boards:write_secret') }]);
    expect(memory.state.boardsApi.calls).toEqual([]);
    expect(memory.state.boards.boardIdsOf(ENV)).toEqual([]);
  });

  it('SECRET with the secret-board scopes granted is created as SECRET', async () => {
    const memory = setUp({ account: { scopes: ['boards:read', 'boards:write', 'boards:read_secret', 'boards:write_secret', 'pins:read', 'pins:write', 'user_accounts:read'] } });
    await expect(createBoard(memory.deps, ENV, { name: 'Hidden', privacy: 'SECRET' })).resolves.toMatchObject({ privacy: 'SECRET' });
    expect(memory.state.boardsApi.callsTo('createBoard')).toHaveLength(1);
  });

  it('an unknown outcome (5xx) is a 502 that tells the operator the board may exist', async () => {
    const memory = setUp();
    memory.state.boardsApi.failNext('createBoard', 'server_error');
    const error = await rejectionOf(createBoard(memory.deps, ENV, { name: 'Maybe' }), AppError);
    expect(error).toMatchObject({ code: 'dependency_failed' });
    expect(error.message).toMatch(/may have been created/);
    expect(memory.state.boards.boardIdsOf(ENV)).toEqual([]);
  });

  it('a created board is in the next sync’s listing and stays one board', async () => {
    const memory = setUp();
    memory.state.boardsApi.seedBoards(ENV, 2);
    const view = await createBoard(memory.deps, ENV, { name: 'Fresh' });
    memory.state.clock.advance(1_000);
    await expect(sync(memory)).resolves.toMatchObject({ status: 'succeeded', boardsSeen: 3 });
    expect(memory.state.boards.boardIdsOf(ENV)).toHaveLength(3);
    await expect(memory.deps.boards.getBoard(ENV, view.id)).resolves.toMatchObject({ syncedAt: '2026-03-01T09:00:01.000Z' });
  });
});

describe('the group rule: collaborators, or another owner', () => {
  const own = { owner: { username: 'mira' } };

  it.each<[string, Pick<PinterestBoard, 'collaborator_count' | 'owner'>, boolean]>([
    ['own, no collaborators', { ...own, collaborator_count: 0 }, false],
    ['own, collaborator count unknown (null)', { ...own, collaborator_count: null }, false],
    ['own, no collaborator count at all', own, false],
    ['own, with collaborators', { ...own, collaborator_count: 3 }, true],
    ['owned by another account', { owner: { username: 'someone_else' }, collaborator_count: 0 }, true],
    ['owned by another account, with collaborators', { owner: { username: 'someone_else' }, collaborator_count: 1 }, true],
    ['own, the username in another case', { owner: { username: 'MIRA' }, collaborator_count: 0 }, false],
    ['no owner given', { collaborator_count: 0 }, false],
  ])('%s → group %s', (_, board, group) => {
    expect(isGroupBoard(board, 'mira')).toBe(group);
    expect(boardRecordFrom({ id: '1', name: 'B', ...board }, ENV, 'mira', new Date(0)).group).toBe(group);
  });

  it('a sync marks the group boards it reads', async () => {
    const memory = setUp();
    const plain = memory.state.boardsApi.addBoard(ENV, { name: 'Mine' });
    const shared = memory.state.boardsApi.addBoard(ENV, { name: 'Shared', collaborator_count: 2 });
    const joined = memory.state.boardsApi.addBoard(ENV, { name: 'Joined', owner: { username: 'someone_else' } });
    await sync(memory);
    const groups = Object.fromEntries(memory.state.boards.boardsOf(ENV).map((board) => [board.boardId, board.group]));
    expect(groups).toEqual({ [plain.id]: false, [shared.id]: true, [joined.id]: true });
  });
});
