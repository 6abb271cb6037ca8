import { SEED } from '../../local/emulators/pinterest';
import { resumeBoardSyncs, runBoardSync, startBoardSync } from '../../shared/use-cases/board-sync';
import { boardSections, createBoard } from '../../shared/use-cases/boards';
import { expectConforms, loadContract, type ContractIssue } from '../support/contract';
import type { Exchange } from '../support/recording-transport';
import { resetBoardFlow, setUpBoardFlow, withRateLimitOnSecondPage } from '../support/board-flow';

/**
 * The board features' Pinterest traffic as the product sends it (the use cases over the real client,
 * against the emulator), every request and every answer held to Pinterest's OpenAPI description:
 * the sync's `GET /v5/boards` pages (page_size=250, the previous bookmark percent-encoded), a page
 * refused with a 429, `POST /v5/boards`, and `GET /v5/boards/{id}/sections`.
 */

const flow = setUpBoardFlow('contract-boards');
const contract = loadContract();
const plentyOfTime = () => 60_000;

function issuesOf(exchange: Exchange): ContractIssue[] {
  const url = new URL(exchange.url);
  const path = url.pathname.replace(/^.*?\/v5/, '');
  const contentType = exchange.request.headers['content-type'];
  return [
    ...contract.validateRequest({
      method: exchange.request.method,
      path,
      query: url.searchParams,
      ...(contentType === undefined ? {} : { contentType }),
      ...(exchange.request.body === undefined ? {} : { body: JSON.parse(exchange.request.body) as unknown }),
    }),
    ...contract.validateResponse({
      method: exchange.request.method,
      path,
      status: exchange.status,
      body: JSON.parse(exchange.body) as unknown,
      ...(exchange.contentType === null ? {} : { contentType: exchange.contentType }),
    }),
  ];
}

const boardLists = () => flow.exchanges.filter((e) => e.request.method === 'GET' && new URL(e.url).pathname.endsWith('/v5/boards'));

beforeEach(async () => {
  await resetBoardFlow(flow, ['sandbox', 'production']);
});
afterEach(() => {
  for (const exchange of flow.exchanges) expectConforms(issuesOf(exchange));
});

describe('contract: the board features against the OpenAPI description', () => {
  it('the sync pages GET /v5/boards at page_size=250, each page after the first with the bookmark before it, percent-encoded', async () => {
    const { job } = await startBoardSync({ ...flow.deps, accounts: flow.deps.tokens.accounts }, 'production');
    expect(await runBoardSync(flow.deps, job.jobId, plentyOfTime)).toMatchObject({ status: 'succeeded', pagesRead: 3 });

    const lists = boardLists();
    expect(lists).toHaveLength(3);
    expect(contract.operation('GET', '/boards')?.operationId).toBe('boards/list');
    for (const [i, exchange] of lists.entries()) {
      const query = new URL(exchange.url).search;
      expect(new URL(exchange.url).searchParams.get('page_size')).toBe('250');
      const previous = lists[i - 1];
      if (previous === undefined) {
        expect(query).toBe('?page_size=250');
        continue;
      }
      const bookmark = (JSON.parse(previous.body) as { bookmark: string }).bookmark;
      expect(bookmark).toMatch(/[+/=]/);
      // Exactly as encodeURIComponent writes it: no raw +, / or = in the query.
      expect(query).toContain(`bookmark=${encodeURIComponent(bookmark)}`);
      expect(query.replace(/^\?/, '').split('&').sort()).toEqual([`bookmark=${encodeURIComponent(bookmark)}`, 'page_size=250']);
    }
    expect((JSON.parse(lists[2]?.body ?? '{}') as { bookmark: unknown }).bookmark).toBeNull();
  });

  it('a page refused with 429 and the resumed pages conform too', async () => {
    flow.emulator.controls.setTier('standard');
    const { job } = await startBoardSync({ ...flow.deps, accounts: flow.deps.tokens.accounts }, 'production');
    await withRateLimitOnSecondPage(flow, 'production', () => runBoardSync(flow.deps, job.jobId, plentyOfTime));
    flow.clock.advance(60_000);
    expect(await resumeBoardSyncs(flow.deps, plentyOfTime)).toEqual({ production: 'succeeded' });
    expect(boardLists().map((e) => e.status)).toEqual([200, 429, 200, 200]);
    expect(JSON.parse(boardLists()[1]?.body ?? '{}')).toMatchObject({ code: 8 });
    // The retried page asked for the same bookmark as the refused one.
    expect(boardLists()[2]?.url).toBe(boardLists()[1]?.url);
  });

  it('POST /v5/boards sends a BoardCreate; GET /v5/boards/{id}/sections pages at page_size=250', async () => {
    const created = await createBoard(flow.deps, 'sandbox', { name: 'Zen Garden Ideas', description: 'Stones & moss', privacy: 'PUBLIC' });
    const post = flow.exchanges.find((e) => e.request.method === 'POST');
    expect(post?.status).toBe(201);
    expect(JSON.parse(post?.request.body ?? '{}')).toEqual({ name: 'Zen Garden Ideas', description: 'Stones & moss', privacy: 'PUBLIC' });
    expect(contract.operation('POST', '/boards')?.operationId).toBe('boards/create');

    // Sections of a board in the snapshot: the one just created (none), and a seeded one (4).
    expect(await boardSections(flow.deps, 'sandbox', created.id, false)).toMatchObject({ cached: false, sections: [] });
    const { job } = await startBoardSync({ ...flow.deps, accounts: flow.deps.tokens.accounts }, 'production');
    await runBoardSync(flow.deps, job.jobId, plentyOfTime);
    const sections = await boardSections(flow.deps, 'production', SEED.known.firstBoard.id, false);
    expect(sections.sections).toHaveLength(SEED.known.firstBoard.sections);
    const sectionLists = flow.exchanges.filter((e) => new URL(e.url).pathname.endsWith('/sections'));
    expect(sectionLists).toHaveLength(2);
    for (const exchange of sectionLists) expect(new URL(exchange.url).search).toBe('?page_size=250');
    expect(contract.operation('GET', `/boards/${SEED.known.firstBoard.id}/sections`)?.operationId).toBe('board_sections/list');
  });

  it('the checks are not lenient: a page_size over 250 or an unknown query parameter is an issue', () => {
    expect(contract.validateRequest({ method: 'GET', path: '/boards', query: { page_size: '251' } })).not.toEqual([]);
    expect(contract.validateRequest({ method: 'GET', path: '/boards', query: { page_size: '250', cursor: 'x' } })).not.toEqual([]);
    expect(contract.validateRequest({ method: 'POST', path: '/boards', contentType: 'application/json', body: { name: 'x', privacy: 'HIDDEN' } })).not.toEqual([]);
  });
});
