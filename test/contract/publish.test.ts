// Before any wiring of this file reads the settings: production may be published to (Standard), and
// this file publishes several times in a row.
process.env.PINTEREST_ACCESS_TIER = 'standard';
process.env.PUBLISH_MIN_GAP_SECONDS = '0';

import { SEED } from '../../local/emulators/pinterest';
import { checkPublishedPin } from '../../shared/use-cases/pin-check';
import { publishPin, type PublishAnswer } from '../../shared/use-cases/publish';
import type { PublishDeps } from '../../shared/use-cases/publish-ports';
import { reconcileDeps } from '../../shared/wiring-reconcile';
import { publishDeps } from '../../shared/wiring-publish';
import { expectConforms, loadContract, type ContractIssue } from '../support/contract';
import { getSections, resetBoardFlow, setUpBoardFlow } from '../support/board-flow';
import { sandboxBoard } from '../support/pin-flow';
import { approvedDraft, recordedApi, tinyJpeg, tinyPng } from '../support/publish-flow';
import type { Exchange } from '../support/recording-transport';

/**
 * The Pin traffic as the product sends it — the publish and check use cases with the product's own
 * wiring, their Pinterest client recording every exchange (./board-flow.ts) — held to Pinterest's
 * OpenAPI description: each `POST /v5/pins` body is a `PinCreate` (image_base64 and image_url sources,
 * a board section), each `GET /v5/pins/{pin_id}` a valid request, and every answer (the emulator's
 * `Pin`s and its refusals) the documented response for its status. The token refresh a 401 causes is
 * checked too.
 */

const flow = setUpBoardFlow('contract-publish');
const contract = loadContract();
let boardId: string;

/** The product's publish wiring, with the flow's recording Pinterest client and its token deps. */
const deps = (): PublishDeps => ({ ...publishDeps(), pinterest: recordedApi(flow), tokens: flow.deps.tokens });
const publishNow = (id: string): Promise<PublishAnswer> => publishPin(deps(), id);
const checkNow = (id: string) => checkPublishedPin({ ...reconcileDeps(), pinterest: recordedApi(flow), tokens: flow.deps.tokens }, id);

function parsedBody(exchange: Exchange): unknown {
  const body = exchange.request.body;
  if (body === undefined) return undefined;
  return exchange.request.headers['content-type'] === 'application/json' ? (JSON.parse(body) as unknown) : body;
}

function issuesOf(exchange: Exchange): ContractIssue[] {
  const url = new URL(exchange.url);
  const path = url.pathname.replace(/^.*?\/v5/, '');
  const contentType = exchange.request.headers['content-type'];
  const body = parsedBody(exchange);
  return [
    ...contract.validateRequest({ method: exchange.request.method, path, query: url.searchParams, ...(contentType === undefined ? {} : { contentType }), ...(body === undefined ? {} : { body }) }),
    ...contract.validateResponse({
      method: exchange.request.method,
      path,
      status: exchange.status,
      body: JSON.parse(exchange.body) as unknown,
      ...(exchange.contentType === null ? {} : { contentType: exchange.contentType }),
    }),
  ];
}

const creates = () => flow.exchanges.filter((e) => e.request.method === 'POST' && new URL(e.url).pathname.endsWith('/v5/pins'));
const reads = () => flow.exchanges.filter((e) => e.request.method === 'GET' && /\/v5\/pins\/\d+$/.test(new URL(e.url).pathname));

beforeEach(async () => {
  await resetBoardFlow(flow, ['sandbox', 'production']);
  boardId = (await sandboxBoard('Contract')).id;
  flow.exchanges.length = 0;
});
afterEach(() => {
  for (const exchange of flow.exchanges) expectConforms(issuesOf(exchange));
});

describe('contract: publishing and checking Pins against the OpenAPI description', () => {
  it('a stored PNG with every text field: POST /v5/pins sends a PinCreate (image_base64) and gets a Pin; the check sends GET /v5/pins/{pin_id} and gets a Pin', async () => {
    const pin = await approvedDraft({
      environment: 'sandbox',
      boardId,
      title: 'Tea & journaling 🍵',
      description: 'Five quiet minutes before the day starts.',
      link: 'https://miradigitalzen.example/tea?utm_source=pinterest',
      altText: 'A cup of green tea beside an open notebook',
      dominantColor: '#6e8b3d',
      imageBase64: tinyPng(6, 9).toString('base64'),
      imageContentType: 'image/png',
    });
    const answer = await publishNow(pin.id);
    expect(answer.outcome).toBe('published');
    const [create] = creates();
    expect(create?.status).toBe(201);
    expect(contract.operation('POST', '/pins')?.operationId).toBe('pins/create');
    expect((parsedBody(create as Exchange) as { media_source: { source_type: string } }).media_source.source_type).toBe('image_base64');

    const checked = await checkNow(pin.id);
    expect(checked.status).toBe('published');
    const [read] = reads();
    expect(read?.status).toBe(200);
    expect(contract.operation('GET', `/pins/${answer.pin.published?.pinterestPinId ?? ''}`)?.operationId).toBe('pins/get');
    expect(new URL(read?.url ?? 'http://x').search).toBe('');
  });

  it('a stored JPEG and an image URL: image_base64 with image/jpeg, and image_url', async () => {
    const a = await approvedDraft({ environment: 'sandbox', boardId, imageBase64: tinyJpeg().toString('base64'), imageContentType: 'image/jpeg' });
    const b = await approvedDraft({ environment: 'sandbox', boardId, title: 'Moss', imageUrl: 'https://images.example.com/moss.jpg' });
    expect((await publishNow(a.id)).outcome).toBe('published');
    expect((await publishNow(b.id)).outcome).toBe('published');
    expect(creates().map((e) => (parsedBody(e) as { media_source: { source_type: string; content_type?: string } }).media_source)).toMatchObject([
      { source_type: 'image_base64', content_type: 'image/jpeg' },
      { source_type: 'image_url', url: 'https://images.example.com/moss.jpg' },
    ]);
  });

  it('production into a board section (Standard access): board_section_id in the PinCreate, and in the Pin', async () => {
    flow.emulator.controls.setTier('standard');
    const board = SEED.known.firstBoard;
    await flow.deps.boards.putBoard({ environment: 'production', boardId: board.id, name: board.name, privacy: 'PUBLIC', ownerUsername: 'miradigitalzen', collaboratorCount: 0, group: false, syncedAt: new Date().toISOString() });
    const sections = (await getSections('production', board.id)).json() as { sections: Array<{ id: string }> };
    const sectionId = sections.sections[0]?.id ?? '';
    const pin = await approvedDraft({ environment: 'production', boardId: board.id, sectionId, title: 'Dawn', imageUrl: 'https://images.example.com/dawn.jpg' });
    flow.exchanges.length = 0;
    expect((await publishNow(pin.id)).pin.published).toMatchObject({ sectionId });
    const [create] = creates();
    expect(parsedBody(create as Exchange)).toMatchObject({ board_id: board.id, board_section_id: sectionId });
    expect(JSON.parse(create?.body ?? '{}')).toMatchObject({ board_section_id: sectionId });
  });

  it("Pinterest's refusals are the documented answers: 400 (image), 404 (board), 429, 403 code 29", async () => {
    const unreachable = await approvedDraft({ environment: 'sandbox', boardId, imageUrl: 'https://images.example.invalid/a.jpg' });
    expect((await publishNow(unreachable.id)).pin.failure).toMatchObject({ kind: 'image_unreachable' });

    const limited = await approvedDraft({ environment: 'sandbox', boardId, imageUrl: 'https://images.example.com/b.jpg' });
    flow.emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/pins', kind: 'rate_limit' });
    expect((await publishNow(limited.id)).pin.failure).toMatchObject({ kind: 'rate_limited' });

    const gone = await approvedDraft({ environment: 'sandbox', boardId, imageUrl: 'https://images.example.com/c.jpg' });
    flow.emulator.controls.deleteBoard('sandbox', boardId);
    expect((await publishNow(gone.id)).pin.failure).toMatchObject({ kind: 'board_not_found' });

    const board = SEED.known.thirdBoard;
    await flow.deps.boards.putBoard({ environment: 'production', boardId: board.id, name: board.name, privacy: 'PUBLIC', ownerUsername: 'miradigitalzen', collaboratorCount: 0, group: false, syncedAt: new Date().toISOString() });
    const trial = await approvedDraft({ environment: 'production', boardId: board.id, imageUrl: 'https://images.example.com/d.jpg' });
    expect((await publishNow(trial.id)).pin.failure).toMatchObject({ kind: 'forbidden', pinterestCode: 29 });

    expect(creates().map((e) => e.status)).toEqual([400, 429, 404, 403]);
  });

  it('an expired token: the refused call (401), the refresh (POST /v5/oauth/token) and the repeat all conform; a check of a Pin gone is a documented 404', async () => {
    const pin = await approvedDraft({ environment: 'sandbox', boardId, imageUrl: 'https://images.example.com/e.jpg' });
    flow.emulator.controls.expireAccessTokens('sandbox');
    expect((await publishNow(pin.id)).outcome).toBe('published');
    expect(creates().map((e) => e.status)).toEqual([401, 201]);
    expect(flow.exchanges.filter((e) => new URL(e.url).pathname.endsWith('/oauth/token')).map((e) => e.status)).toEqual([200]);

    flow.emulator.controls.deleteBoard('sandbox', boardId);
    expect((await checkNow(pin.id)).status).toBe('missing_on_pinterest');
    expect(reads().map((e) => e.status)).toEqual([404]);
  });

  it('the checks are not lenient: a PinCreate without content_type, with an unknown source type or a title over 100 characters, and a Pin with a numeric id, are issues', () => {
    const request = (body: unknown) => contract.validateRequest({ method: 'POST', path: '/pins', contentType: 'application/json', body });
    expect(request({ board_id: '1', media_source: { source_type: 'image_url', url: 'https://images.example.com/x.jpg' } })).toEqual([]);
    expect(request({ board_id: '1', media_source: { source_type: 'image_base64', data: 'AAAA' } })).not.toEqual([]);
    expect(request({ board_id: '1', media_source: { source_type: 'image_png', url: 'https://x' } })).not.toEqual([]);
    expect(request({ board_id: '1', title: 'x'.repeat(101), media_source: { source_type: 'image_url', url: 'https://images.example.com/x.jpg' } })).not.toEqual([]);
    const response = (body: unknown) => contract.validateResponse({ method: 'POST', path: '/pins', status: 201, contentType: 'application/json', body });
    expect(response({ id: '813744226420795884', board_id: '1' })).toEqual([]);
    expect(response({ id: 813744226, board_id: '1' })).not.toEqual([]);
  });
});
