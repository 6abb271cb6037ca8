// Before any wiring of this file reads the settings: this deployment says Pinterest granted Standard
// access, so production is not refused up front; and it publishes several times in a row.
process.env.PINTEREST_ACCESS_TIER = 'standard';
process.env.PUBLISH_MIN_GAP_SECONDS = '0';

import { SEED } from '../../local/emulators/pinterest';
import { pinWebUrl } from '../../shared/domain/pinterest';
import { getSections, resetBoardFlow, setUpBoardFlow } from '../support/board-flow';
import { approvePin, errorOf } from '../support/pin-flow';
import { approvedDraft, bodyOf, copy, lastSteps, pinCreates, pinsAtEmulator, publish, publishEntries, published, storedRecord, tinyPng, type RecordJson } from '../support/publish-flow';

/**
 * Publishing to production with PINTEREST_ACCESS_TIER=standard: when the app is in fact still on
 * Trial at Pinterest, the 403 code 29 is a failure publishing again cannot fix; once Pinterest grants
 * Standard, a Pin goes to a board section and the record keeps the section.
 */

const flow = setUpBoardFlow('publish-production');
const BOARD = SEED.known.thirdBoard;
let sectionId: string;

beforeEach(async () => {
  await resetBoardFlow(flow, ['production']);
  // The board in the production snapshot (as a sync leaves it), and its sections read once.
  await flow.deps.boards.putBoard({ environment: 'production', boardId: BOARD.id, name: BOARD.name, privacy: 'PUBLIC', ownerUsername: 'miradigitalzen', collaboratorCount: 0, group: false, syncedAt: new Date().toISOString() });
  const sections = (await getSections('production', BOARD.id)).json() as { sections: Array<{ id: string }> };
  expect(sections.sections).toHaveLength(BOARD.sections);
  sectionId = sections.sections[1]?.id ?? '';
});

const productionDraft = () =>
  approvedDraft({ environment: 'production', boardId: BOARD.id, sectionId, title: 'Zen garden at dawn', imageBase64: tinyPng().toString('base64'), imageContentType: 'image/png' });

it('the app still on Trial at Pinterest: 403 code 29 → failed forbidden, not retryable; publishing again is a 409', async () => {
  const pin = await productionDraft();
  const res = await publish(pin.id);
  expect(res.statusCode).toBe(200);
  expect(res.headers['retry-after']).toBeUndefined();
  const answer = res.json() as { outcome: string; pin: RecordJson };
  expect(answer).toMatchObject({ outcome: 'failed', pin: { status: 'failed', failure: { kind: 'forbidden', retryable: false, httpStatus: 403, pinterestCode: 29 } } });
  expect(answer.pin.failure?.message).toContain('a Trial app publishes only to the sandbox');
  expect(answer.pin.failure?.message).toContain('Apps with Trial access may not create Pins in production');
  expect(answer.pin.failure?.retryAfter).toBeUndefined();
  expect(answer.pin.failure?.requestId).toBe(pinCreates(flow, 'production')[0]?.rid);
  expect(lastSteps(answer.pin)).toEqual([
    ['publish', 'approved', 'publishing', 'operator'],
    ['outcome', 'publishing', 'failed', 'system'],
  ]);
  expect(pinCreates(flow, 'production')).toHaveLength(1);
  expect((await pinsAtEmulator(flow, 'production', BOARD.id)).length).toBe(BOARD.pins);
  const [entry, ...more] = await publishEntries(flow, pin.id);
  expect(more).toEqual([]);
  expect(entry).toMatchObject({ kind: 'pin_publish', outcome: 'denied', status: 403, detail: { environment: 'production', result: 'forbidden' } });

  // Pinterest grants Standard later: this record still cannot be published again (copy it instead).
  flow.emulator.controls.setTier('standard');
  const before = await storedRecord(flow, pin.id);
  const again = await publish(pin.id);
  expect(again.statusCode).toBe(409);
  expect(errorOf(again)).toMatchObject({ code: 'conflict', currentState: 'failed' });
  expect(await storedRecord(flow, pin.id)).toEqual(before);
  expect(pinCreates(flow, 'production')).toHaveLength(1);

  const draft = (await copy(pin.id)).json() as RecordJson;
  expect((await approvePin(draft.id, 1)).statusCode).toBe(200);
  expect((await published(draft.id)).pin).toMatchObject({ status: 'published', published: { sectionId } });
});

it('Standard at Pinterest: published into the section; the record keeps board, section, created_at, 201 and the request id', async () => {
  flow.emulator.controls.setTier('standard');
  const pin = await productionDraft();
  const answer = await published(pin.id);
  expect(answer.outcome).toBe('published');
  const [sent, ...more] = pinCreates(flow, 'production');
  expect(more).toEqual([]);
  expect(bodyOf(sent)).toMatchObject({ board_id: BOARD.id, board_section_id: sectionId, title: 'Zen garden at dawn' });
  const atPinterest = (await pinsAtEmulator(flow, 'production', BOARD.id)).find((p) => p.id === answer.pin.published?.pinterestPinId);
  expect(atPinterest).toMatchObject({ board_id: BOARD.id, board_section_id: sectionId });
  expect(answer.pin.published).toEqual({
    pinterestPinId: atPinterest?.id,
    boardId: BOARD.id,
    sectionId,
    createdAt: atPinterest?.created_at,
    httpStatus: 201,
    requestId: sent?.rid,
    publishedAt: expect.any(String) as unknown,
    url: pinWebUrl(atPinterest?.id ?? ''),
  });
  expect(answer.pin.published?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  expect((await publishEntries(flow, pin.id)).map((e) => [e.outcome, e.status, e.detail?.environment])).toEqual([['ok', 201, 'production']]);
});
