import { allBoards, getBoards, postBoard, requestsTo, resetBoardFlow, setUpBoardFlow, syncAndWait, type BoardJson, type BoardListJson } from '../support/board-flow';

/**
 * POST /boards through the real handler against the emulator: a board created in the sandbox (which
 * starts with none) is at Pinterest and in the snapshot at once; bad input is a 400 naming the field,
 * and nothing reaches Pinterest.
 */

const flow = setUpBoardFlow('board-create');

const creations = () => requestsTo(flow, 'POST', '/v5/boards');

beforeAll(async () => {
  await resetBoardFlow(flow, ['sandbox']);
});

describe('creating a board', () => {
  it('creates a sandbox board (201) at Pinterest, and GET /boards?environment=sandbox lists it', async () => {
    const before = (await getBoards({ environment: 'sandbox' })).json() as BoardListJson;
    expect(before.items).toEqual([]);

    const res = await postBoard({ environment: 'sandbox', name: 'Zen Garden Ideas', description: 'Stones, moss and raked gravel', privacy: 'PUBLIC' });
    expect(res.statusCode).toBe(201);
    const board = res.json() as BoardJson & { environment: string };
    expect(board).toEqual({
      environment: 'sandbox',
      id: expect.stringMatching(/^\d+$/) as unknown,
      name: 'Zen Garden Ideas',
      description: 'Stones, moss and raked gravel',
      privacy: 'PUBLIC',
      owner: 'miradigitalzen',
      group: false,
      sectionCount: null,
      syncedAt: expect.any(String) as unknown,
    });
    // Sent once, as Pinterest's BoardCreate.
    expect(creations().map((r) => ({ host: r.host, body: JSON.parse(r.body) as unknown }))).toEqual([
      { host: 'sandbox', body: { name: 'Zen Garden Ideas', description: 'Stones, moss and raked gravel', privacy: 'PUBLIC' } },
    ]);

    const listed = (await getBoards({ environment: 'sandbox' })).json() as BoardListJson;
    expect(listed.items).toEqual([{ id: board.id, name: board.name, description: board.description, privacy: 'PUBLIC', owner: 'miradigitalzen', group: false, sectionCount: null, syncedAt: board.syncedAt }]);
    // Not a sync: the snapshot has never been synced completely.
    expect(listed.syncedAt).toBeNull();
    expect((await getBoards({ environment: 'production' })).json()).toMatchObject({ items: [] });
  });

  it('defaults privacy to PUBLIC, trims the name, and takes 180 characters counted as characters (emoji are one)', async () => {
    const name = '🧘'.repeat(180);
    expect(name.length).toBe(360); // UTF-16 units
    const res = await postBoard({ environment: 'sandbox', name: `  ${name}  ` });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name, privacy: 'PUBLIC', description: null });
    expect(JSON.parse(creations().at(-1)?.body ?? '{}')).toEqual({ name });
  });

  it('keeps boards it created through a later sync of the sandbox, which lists them', async () => {
    const created = (await postBoard({ environment: 'sandbox', name: 'Mindful Mornings' })).json() as BoardJson;
    const job = await syncAndWait(flow, 'sandbox');
    expect(job.status).toBe('succeeded');
    const { boards, syncedAt } = await allBoards('sandbox');
    expect(boards.map((b) => b.id)).toContain(created.id);
    expect(boards).toHaveLength(job.boardsSeen);
    expect(syncedAt).toBe(job.finishedAt);
  });

  it.each([
    ['an unknown environment', { environment: 'staging', name: 'x' }, 'body.environment', 'sandbox or production'],
    ['no environment', { name: 'x' }, 'body.environment', 'sandbox or production'],
    ['an empty name', { environment: 'sandbox', name: '' }, 'body.name', 'must not be empty'],
    ['a name of spaces only', { environment: 'sandbox', name: '   ' }, 'body.name', 'must not be empty'],
    ['no name', { environment: 'sandbox' }, 'body.name', 'expected string'],
    ['a name of 181 characters', { environment: 'sandbox', name: 'z'.repeat(181) }, 'body.name', 'at most 180 characters'],
    ['a name of 181 emoji', { environment: 'sandbox', name: '🪴'.repeat(181) }, 'body.name', 'at most 180 characters'],
    ['an unknown privacy', { environment: 'sandbox', name: 'x', privacy: 'PROTECTED' }, 'body.privacy', 'PUBLIC or SECRET'],
    ['a lower-case privacy', { environment: 'sandbox', name: 'x', privacy: 'public' }, 'body.privacy', 'PUBLIC or SECRET'],
    // An unknown key is the body's issue; the message names the key.
    ['an extra field', { environment: 'sandbox', name: 'x', is_ads_only: true }, 'body', '"is_ads_only"'],
    ['a description that is not text', { environment: 'sandbox', name: 'x', description: 5 }, 'body.description', 'expected string'],
  ])('refuses %s with a 400 naming the field, and creates nothing at Pinterest', async (_case, body, path, message) => {
    const before = creations().length;
    const boardsBefore = (await allBoards('sandbox')).boards.length;
    const res = await postBoard(body);
    expect(res.statusCode).toBe(400);
    const error = (res.json() as { error: { code: string; message: string; issues: Array<{ path: string; message: string }> } }).error;
    expect(error.code).toBe('validation_failed');
    expect(error.issues).toEqual([{ path, message: expect.stringContaining(message) as unknown }]);
    expect(error.message).toContain(message);
    expect(creations()).toHaveLength(before);
    expect((await allBoards('sandbox')).boards).toHaveLength(boardsBefore);
  });
});

describe('creating a board: secret boards and Pinterest refusals', () => {
  // The publisher does not ask for boards:read_secret, so Pinterest would never list a secret board
  // to it and the next complete sync would drop one it created: SECRET is refused up front.
  it('refuses a SECRET board without the secret scopes, before any call to Pinterest', async () => {
    const before = creations().length;
    const boardsBefore = (await allBoards('sandbox')).boards.length;
    const res = await postBoard({ environment: 'sandbox', name: 'Secret plans', privacy: 'SECRET' });
    expect(res.statusCode).toBe(400);
    const error = (res.json() as { error: { code: string; message: string; issues: Array<{ path: string; message: string }> } }).error;
    expect(error.code).toBe('validation_failed');
    expect(error.message).toContain('boards:read_secret');
    expect(error.issues.map((issue) => issue.path)).toEqual(['body.privacy']);
    expect(creations()).toHaveLength(before);
    expect((await allBoards('sandbox')).boards).toHaveLength(boardsBefore);
  });

  it('answers a Pinterest 429 with 429 and Retry-After, and a 503 with 502 saying the board may exist', async () => {
    flow.emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/boards', kind: 'rate_limit' });
    const limited = await postBoard({ environment: 'sandbox', name: 'Limited' });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((limited.json() as { error: { code: string } }).error.code).toBe('rate_limited');

    flow.emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/boards', kind: 'status', status: 503 });
    const failed = await postBoard({ environment: 'sandbox', name: 'Unlucky' });
    expect(failed.statusCode).toBe(502);
    const error = (failed.json() as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('dependency_failed');
    expect(error.message).toContain('may have been created');
    expect(failed.text).not.toMatch(/stack|at .*\.ts:|access_token|pina_/i);
  });
});
