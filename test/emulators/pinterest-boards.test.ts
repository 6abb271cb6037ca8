import { SEED } from '../../local/emulators/pinterest';
import { expectConforms, loadContract } from '../support/contract';
import { FakeClock, Harness, MIRA, OTHER, useHarness, jsonOf, type Json } from './pinterest-harness';

/** The emulator's boards, sections and bookmark paging over HTTP, against the deterministic seed. */

const clock = new FakeClock();
const h = useHarness(clock);

async function page(res: Response): Promise<{ items: Json[]; bookmark: string | null }> {
  expect(res.status).toBe(200);
  return (await res.json()) as { items: Json[]; bookmark: string | null };
}

describe('GET /v5/boards', () => {
  it('pages the seeded 600 boards at page_size 250 in 3 pages of distinct ids, the last bookmark null', async () => {
    const { pages, bookmarks } = await h.allPages('production', h.tokenFor('production'), '/boards', 250);
    expect(pages.map((p) => p.length)).toEqual([250, 250, 100]);
    expect(bookmarks[0]).toEqual(expect.any(String));
    expect(bookmarks.at(-1)).toBeNull();
    const ids = pages.flat().map((b) => b.id);
    expect(new Set(ids).size).toBe(600);
    expect(SEED.production.listedForDefaultUser).toBe(600);
  });

  it('defaults to 25 boards, starting with the first seeded board', async () => {
    const first = await page(await h.api('production', h.tokenFor('production'), '/boards'));
    expect(first.items).toHaveLength(25);
    expect(first.items[0]).toMatchObject({ id: '549755813000000001', name: 'Zen Garden Ideas', pin_count: 30, owner: { username: 'miradigitalzen' } });
  });

  it('hands out bookmarks with + / = that only work percent-encoded', async () => {
    const token = h.tokenFor('production');
    const { bookmark } = await page(await h.api('production', token, '/boards?page_size=5'));
    expect(bookmark).toMatch(/\+/);
    expect(bookmark).toMatch(/\//);
    expect(bookmark).toMatch(/=$/);
    const raw = await h.api('production', token, `/boards?page_size=5&bookmark=${bookmark ?? ''}`);
    expect(raw.status).toBe(400);
    expect((await jsonOf(raw)).code).toBe(1);
    const next = await page(await h.api('production', token, `/boards?page_size=5&bookmark=${encodeURIComponent(bookmark ?? '')}`));
    expect(next.items[0]?.id).toBe('549755813000000006');
  });

  it.each(['0', '251', 'ten'])('answers page_size=%s with 400 code 1 naming page_size', async (size) => {
    const res = await h.api('production', h.tokenFor('production'), `/boards?page_size=${size}`);
    expect(res.status).toBe(400);
    const body = await jsonOf(res);
    expect(body.code).toBe(1);
    expect(body.message).toContain("'page_size'");
  });

  it('refuses a bookmark from another list', async () => {
    const token = h.tokenFor('production');
    const { bookmark } = await page(await h.api('production', token, `/boards/${SEED.known.firstBoard.id}/pins?page_size=2`));
    expect((await h.api('production', token, `/boards?bookmark=${encodeURIComponent(bookmark ?? '')}`)).status).toBe(400);
  });

  it('lists group boards: joined ones owned by another user, and own ones with collaborators', async () => {
    const { pages } = await h.allPages('production', h.tokenFor('production'), '/boards', 250);
    const group = pages.flat().filter((b) => (b.collaborator_count as number) > 0);
    expect(group).toHaveLength(SEED.production.groupBoards);
    const joined = group.filter((b) => (b.owner as Json).username === 'someone_else');
    expect(joined.map((b) => b.id)).toContain(SEED.known.joinedGroupBoard.id);
    expect(joined).toHaveLength(3);
    expect(pages.flat().some((b) => b.id === SEED.known.otherUsersBoard.id)).toBe(false);
  });

  it('leaves SECRET boards out without boards:read_secret, and filters by privacy', async () => {
    const plain = h.tokenFor('production', ['boards:read']);
    const { pages } = await h.allPages('production', plain, '/boards', 250);
    expect(pages.flat()).toHaveLength(SEED.production.listedWithoutSecretScope);
    const secret = await page(await h.api('production', h.tokenFor('production'), '/boards?privacy=SECRET&page_size=250'));
    expect(secret.items.map((b) => b.privacy)).toEqual(Array(SEED.production.secretBoards).fill('SECRET'));
    expect(secret.items[0]?.id).toBe(SEED.known.secretBoard.id);
    const bad = await h.api('production', plain, '/boards?privacy=HIDDEN');
    expect(bad.status).toBe(400);
  });

  it('keeps names with emoji, & and < as they are', async () => {
    const { pages } = await h.allPages('production', h.tokenFor('production'), '/boards', 250);
    const names = pages.flat().map((b) => String(b.name));
    expect(names).toContain(SEED.known.lessThanBoard.name);
    expect(names.some((n) => n.includes('&'))).toBe(true);
    expect(names.some((n) => /\p{Extended_Pictographic}/u.test(n))).toBe(true);
  });

  it('answers without boards:read with 403 and the rate-limit headers', async () => {
    const res = await h.api('production', h.tokenFor('production', ['user_accounts:read']), '/boards');
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ code: 29, message: 'You are not permitted to access that resource.' });
    expect(res.headers.get('x-ratelimit-remaining')).not.toBeNull();
  });

  it('conforms to the OpenAPI description', async () => {
    const body = await page(await h.api('production', h.tokenFor('production'), '/boards?page_size=10'));
    expectConforms(loadContract().validateResponse({ method: 'GET', path: '/v5/boards', status: 200, body }));
  });
});

describe('POST /v5/boards', () => {
  it('the sandbox starts empty; a created board is listed there and not on production', async () => {
    const token = h.tokenFor('sandbox');
    expect(await page(await h.api('sandbox', token, '/boards'))).toEqual({ items: [], bookmark: null });
    const created = await h.api('sandbox', token, '/boards', { name: 'Test <Board> & 🌿', description: 'd', privacy: 'SECRET' });
    expect(created.status).toBe(201);
    const board = await jsonOf(created);
    expect(board).toMatchObject({ name: 'Test <Board> & 🌿', description: 'd', privacy: 'SECRET', pin_count: 0, owner: { username: 'miradigitalzen' } });
    expect(board.id).toMatch(/^\d+$/);
    expect(board.created_at).toBe('2026-03-01T12:00:00');
    expectConforms(loadContract().validateResponse({ method: 'POST', path: '/v5/boards', status: 201, body: board }));
    expect((await page(await h.api('sandbox', token, '/boards'))).items.map((b) => b.id)).toEqual([board.id]);
    const production = await h.allPages('production', h.tokenFor('production'), '/boards', 250);
    expect(production.pages.flat().some((b) => b.id === board.id)).toBe(false);
  });

  it('puts a new board on the last page of production', async () => {
    const token = h.tokenFor('production');
    const board = await jsonOf(await h.api('production', token, '/boards', { name: 'Newest' }));
    const { pages } = await h.allPages('production', token, '/boards', 250);
    expect(pages.flat()).toHaveLength(601);
    expect(pages.at(-1)?.at(-1)?.id).toBe(board.id);
  });

  it.each([
    [{}, "'name' is a required property"],
    [{ name: '' }, "'name'"],
    [{ name: 'x'.repeat(181) }, "'name'"],
    [{ name: 'ok', privacy: 'FRIENDS' }, "'privacy'"],
    [{ name: 7 }, "'name'"],
  ])('answers %j with 400 code 1 naming the field', async (body, fragment) => {
    const res = await h.api('sandbox', h.tokenFor('sandbox'), '/boards', body);
    expect(res.status).toBe(400);
    const error = await jsonOf(res);
    expect(error.code).toBe(1);
    expect(error.message).toContain(fragment);
  });

  it('needs boards:write, and accepts a name of 180 characters (emoji count once)', async () => {
    // Issued first: later grants add their scopes to every token issued afterwards.
    const readOnly = h.tokenFor('sandbox', ['boards:read']);
    expect((await h.api('sandbox', readOnly, '/boards', { name: 'x' })).status).toBe(403);
    expect((await h.api('sandbox', h.tokenFor('sandbox'), '/boards', { name: '🌿'.repeat(180) })).status).toBe(201);
  });

  it('answers a body that is not JSON with 415 or 400', async () => {
    const url = `${h.emulator.urls.sandbox}/boards`;
    const authorization = `Bearer ${h.tokenFor('sandbox')}`;
    expect((await fetch(url, { method: 'POST', headers: { authorization }, body: '{"name":"x"}' })).status).toBe(415);
    const broken = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: '{"name":' });
    expect(broken.status).toBe(400);
  });
});

describe('GET /v5/boards/{board_id}/sections', () => {
  it('pages the sections of a seeded board', async () => {
    const token = h.tokenFor('production');
    const { pages, bookmarks } = await h.allPages('production', token, `/boards/${SEED.known.firstBoard.id}/sections`, 3);
    expect(pages.map((p) => p.length)).toEqual([3, 1]);
    expect(bookmarks).toEqual([expect.stringMatching(/=$/), null]);
    expect(pages.flat().map((s) => s.name)).toEqual(['Rock Gardens', 'Moss & Ferns', 'Water Features 💧', 'Lanterns']);
    expect(Object.keys(pages[0]?.[0] ?? {}).sort()).toEqual(['id', 'name']);
  });

  it('answers an empty page for a board without sections', async () => {
    const res = await h.api('production', h.tokenFor('production'), `/boards/${SEED.known.fourthBoard.id}/sections`);
    expect(await page(res)).toEqual({ items: [], bookmark: null });
  });

  it.each([
    ['unknown', '999999999999999999'],
    ["another user's", SEED.known.otherUsersBoard.id],
  ])('answers an %s board with 404 Board not found.', async (_what, id) => {
    const res = await h.api('production', h.tokenFor('production'), `/boards/${id}/sections`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 404, message: 'Board not found.' });
  });

  it('answers a production board id on the sandbox with 404, and a non-numeric id with 400', async () => {
    const token = h.tokenFor('sandbox');
    expect((await h.api('sandbox', token, `/boards/${SEED.known.firstBoard.id}/sections`)).status).toBe(404);
    const bad = await h.api('sandbox', token, '/boards/abc/sections');
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).message).toBe("'abc' does not match '^\\\\d+$' - 'board_id'");
  });
});

describe('seed', () => {
  it('is the same on every start: ids, names and times of the first page', async () => {
    const other = await Harness.start(clock);
    try {
      const [a, b] = await Promise.all(
        [h, other].map(async (x) => page(await x.api('production', x.tokenFor('production'), '/boards?page_size=250'))),
      );
      expect(a).toEqual(b);
    } finally {
      await other.emulator.close();
    }
  });

  it('counts the seeded user’s boards and Pins in GET /v5/user_account', async () => {
    const account = await jsonOf(await h.userAccount('production', h.tokenFor('production')));
    expect(account.board_count).toBe(SEED.production.ownedByDefaultUser);
    const other = await jsonOf(await h.userAccount('sandbox', h.tokenFor('sandbox', ['user_accounts:read'], OTHER)));
    expect(other).toMatchObject({ board_count: 0, pin_count: 0 });
    expect(SEED.defaultUserId).toBe(MIRA);
  });
});
