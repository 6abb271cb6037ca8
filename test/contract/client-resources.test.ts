import { SEED, startPinterestEmulator, type PinterestEmulator } from '../../local/emulators/pinterest';
import { PinterestClient } from '../../shared/adapters/pinterest/client';
import { PinterestApi, type PinterestBoard } from '../../shared/adapters/pinterest/resources';
import { expectConforms, loadContract } from '../support/contract';
import { recordingTransport, type Exchange } from '../support/recording-transport';

/**
 * The client's board, section and Pin methods against the emulator, every exchange held to the
 * OpenAPI description; and the behaviour later features rely on (paging, newest first, errors).
 */

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const scopes = ['boards:read', 'boards:read_secret', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read'];

function conforms(exchange: Exchange): void {
  const contract = loadContract();
  const url = new URL(exchange.url);
  const path = url.pathname.replace(/^.*?\/v5/, '');
  const contentType = exchange.request.headers['content-type'];
  expectConforms([
    ...contract.validateRequest({
      method: exchange.request.method,
      path,
      query: url.searchParams,
      ...(contentType === undefined ? {} : { contentType }),
      ...(exchange.request.body === undefined ? {} : { body: JSON.parse(exchange.request.body) as unknown }),
    }),
    ...contract.validateResponse({ method: exchange.request.method, path, status: exchange.status, body: JSON.parse(exchange.body) as unknown }),
  ]);
}

describe('Pinterest boards, sections and Pins through the client', () => {
  let emulator: PinterestEmulator;
  let api: PinterestApi;
  const recorder = recordingTransport();
  let production: string;
  let sandbox: string;

  beforeAll(async () => {
    emulator = await startPinterestEmulator({});
    api = new PinterestApi(new PinterestClient({ baseUrls: { sandbox: emulator.urls.sandbox, production: emulator.urls.production }, transport: recorder.transport }));
    production = emulator.controls.issueTokens('production', SEED.defaultUserId, scopes).accessToken;
    sandbox = emulator.controls.issueTokens('sandbox', SEED.defaultUserId, scopes).accessToken;
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    recorder.exchanges.length = 0;
    emulator.controls.clearFaults();
  });
  afterEach(() => {
    for (const exchange of recorder.exchanges) conforms(exchange);
  });

  it('pages every production board with URL-encoded bookmarks, group boards included', async () => {
    const boards: PinterestBoard[] = [];
    let bookmark: string | undefined;
    do {
      const page = await api.listBoards('production', production, { pageSize: 250, ...(bookmark === undefined ? {} : { bookmark }) });
      boards.push(...page.data.items);
      bookmark = page.data.bookmark ?? undefined;
    } while (bookmark !== undefined);
    expect(recorder.exchanges).toHaveLength(3);
    expect(boards).toHaveLength(SEED.production.listedForDefaultUser);
    expect(new Set(boards.map((b) => b.id)).size).toBe(boards.length);
    expect(boards.filter((b) => (b.collaborator_count ?? 0) > 0 || b.owner?.username !== 'miradigitalzen').length).toBeGreaterThanOrEqual(SEED.production.groupBoards);
    expect(boards.some((b) => b.name.includes('&'))).toBe(true);
  });

  it('creates a board in the empty sandbox, and lists its sections', async () => {
    const before = await api.listBoards('sandbox', sandbox);
    const created = await api.createBoard('sandbox', sandbox, { name: `Sandbox demo ${Date.now()}`, description: 'for the review video', privacy: 'PUBLIC' });
    const after = await api.listBoards('sandbox', sandbox);
    expect(after.data.items.length).toBe(before.data.items.length + 1);
    expect((await api.listSections('sandbox', sandbox, created.data.id)).data.items).toEqual([]);
    const sections = await api.listSections('production', production, SEED.known.firstBoard.id);
    expect(sections.data.items).toHaveLength(SEED.known.firstBoard.sections);
  });

  it('creates a Pin from base64 bytes and from a URL, reads it back, and lists board Pins newest first', async () => {
    const board = await api.createBoard('sandbox', sandbox, { name: `Pins ${Date.now()}` });
    const first = await api.createPin('sandbox', sandbox, { board_id: board.data.id, title: 'First', description: 'd', link: 'https://ecooffice.net/a', alt_text: 'a', media_source: { source_type: 'image_base64', content_type: 'image/png', data: PNG } });
    const second = await api.createPin('sandbox', sandbox, { board_id: board.data.id, title: 'Second', media_source: { source_type: 'image_url', url: 'https://images.example.com/b.png' } });
    expect(first.status).toBe(201);
    expect((await api.getPin('sandbox', sandbox, first.data.id)).data).toMatchObject({ id: first.data.id, title: 'First', board_id: board.data.id });
    const pins = await api.listBoardPins('sandbox', sandbox, board.data.id);
    expect(pins.data.items.map((p) => p.id)).toEqual([second.data.id, first.data.id]);
    const createCalls = recorder.exchanges.filter((e) => e.request.method === 'POST' && e.url.endsWith('/pins'));
    expect(createCalls.every((e) => e.request.freshConnection === true)).toBe(true);
  });

  it('lists a section\'s Pins', async () => {
    const section = (await api.listSections('production', production, SEED.known.firstBoard.id)).data.items[0];
    const pins = await api.listSectionPins('production', production, SEED.known.firstBoard.id, section?.id ?? '');
    expect(pins.data.items).toHaveLength(SEED.known.firstBoard.pinsInFirstSection);
  });

  it('types the refusals later features handle', async () => {
    const board = await api.createBoard('sandbox', sandbox, { name: `Errors ${Date.now()}` });
    const pin = { board_id: board.data.id, title: 'x', media_source: { source_type: 'image_url', url: 'https://images.example.com/x.png' } } as const;
    await expect(api.createPin('production', production, { ...pin, board_id: SEED.known.firstBoard.id })).rejects.toMatchObject({ kind: 'forbidden', pinterestCode: 29 });
    await expect(api.createPin('sandbox', sandbox, { ...pin, board_id: '9' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(api.createPin('sandbox', sandbox, { ...pin, title: 'x'.repeat(101) })).rejects.toMatchObject({ kind: 'invalid_request', status: 400 });
    // That request breaks the contract on purpose (the domain validates titles first); its answer must not.
    const invalid = recorder.exchanges.pop();
    expectConforms(loadContract().validateResponse({ method: 'POST', path: '/pins', status: invalid?.status ?? 0, body: JSON.parse(invalid?.body ?? 'null') as unknown }));
    await expect(api.getPin('production', production, '1')).rejects.toMatchObject({ kind: 'not_found', pinterestCode: 50 });
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/pins', method: 'POST', kind: 'spam_block' });
    await expect(api.createPin('sandbox', sandbox, pin)).rejects.toMatchObject({ kind: 'spam_blocked', status: 429 });
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/pins', method: 'POST', kind: 'image_unreachable' });
    await expect(api.createPin('sandbox', sandbox, pin)).rejects.toMatchObject({ kind: 'invalid_request', pinterestMessage: expect.stringContaining('could not fetch the image') as unknown });
  });

  it('reports "created, then the connection dropped" as possibly processed, and the Pin exists', async () => {
    const board = await api.createBoard('sandbox', sandbox, { name: `Drop ${Date.now()}` });
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/pins', method: 'POST', kind: 'create_then_drop' });
    await expect(api.createPin('sandbox', sandbox, { board_id: board.data.id, title: 'ghost', media_source: { source_type: 'image_url', url: 'https://images.example.com/g.png' } })).rejects.toMatchObject({ beforeSend: false });
    recorder.exchanges.length = 0; // the dropped exchange has no answer to check
    const pins = await api.listBoardPins('sandbox', sandbox, board.data.id);
    expect(pins.data.items.map((p) => p.title)).toEqual(['ghost']);
  });

  it('reports a refused connection as not sent', async () => {
    emulator.controls.injectFault({ host: 'sandbox', kind: 'refuse_connection', ms: 300 });
    await expect(api.getPin('sandbox', sandbox, '1')).rejects.toMatchObject({ beforeSend: true, reason: 'ECONNREFUSED' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expect(api.getPin('sandbox', sandbox, '1')).rejects.toMatchObject({ kind: 'not_found' });
  });
});
