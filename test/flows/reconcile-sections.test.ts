// Before any wiring of this file reads the settings: Pinterest granted Standard access (production
// drafts can be published, so a draft can have a section: the seed's sections are in production), and
// this file publishes several times in a row.
process.env.PINTEREST_ACCESS_TIER = 'standard';
process.env.PUBLISH_MIN_GAP_SECONDS = '0';

import { SEED } from '../../local/emulators/pinterest';
import { getSections, resetBoardFlow, setUpBoardFlow } from '../support/board-flow';
import { readPin } from '../support/pin-flow';
import { approvedDraft, pinCreates } from '../support/publish-flow';
import { calls, checked, clearRecords, droppedAfterCreate, holderItem, pinAtPinterest, requestsDuring, resolve, runSchedule, type ReconcileJson } from '../support/reconcile-flow';

/**
 * A draft with a board section: its reconciliation lists the section's Pins
 * (`GET /v5/boards/{id}/sections/{sid}/pins`), not the board's, so a Pin with the same content
 * elsewhere on the board is no candidate; the record keeps the section.
 */

const flow = setUpBoardFlow('reconcile-sections');
const BOARD = SEED.known.thirdBoard;
let sectionId: string;
let otherSection: string;

beforeEach(async () => {
  await resetBoardFlow(flow, ['production']);
  await clearRecords(flow);
  flow.emulator.controls.setTier('standard');
  await flow.deps.boards.putBoard({ environment: 'production', boardId: BOARD.id, name: BOARD.name, privacy: 'PUBLIC', ownerUsername: 'miradigitalzen', collaboratorCount: 0, group: false, syncedAt: new Date().toISOString() });
  const sections = (await getSections('production', BOARD.id)).json() as { sections: Array<{ id: string }> };
  sectionId = sections.sections[1]?.id ?? '';
  otherSection = sections.sections[0]?.id ?? '';
  expect(sectionId).not.toBe('');
});

const content = { title: 'Moss garden, section two', description: 'Green on green.' };
const sectionDraft = () => approvedDraft({ environment: 'production', boardId: BOARD.id, sectionId, ...content, imageUrl: 'https://images.example.com/moss.jpg' });

it("create_then_drop in a section → POST /pins/{id}/check lists the section's Pins and publishes the one Pin there; the same content elsewhere on the board is ignored", async () => {
  // The same content on the board outside any section, and in another section: not where the draft goes.
  await pinAtPinterest(flow, 'production', { boardId: BOARD.id, ...content });
  await pinAtPinterest(flow, 'production', { boardId: BOARD.id, sectionId: otherSection, ...content });
  const pin = await sectionDraft();
  await droppedAfterCreate(flow, pin, 'production');
  const created = flow.emulator.controls.pins('production').filter((p) => p.sectionId === sectionId);
  expect(created).toHaveLength(1);

  const { result, requests } = await requestsDuring(flow, () => checked(pin.id));
  expect(calls(requests)).toEqual([`GET /v5/boards/${BOARD.id}/sections/${sectionId}/pins`]);
  expect(requests[0]?.host).toBe('production');
  expect(result).toMatchObject({ status: 'published', sectionId, published: { pinterestPinId: created[0]?.id, boardId: BOARD.id, sectionId }, scan: null });
  expect(result.history?.at(-1)).toMatchObject({ action: 'reconcile', to: 'published', by: 'system' });
  expect(await holderItem(flow, 'production', created[0]?.id ?? '')).toBe(pin.id);
  expect(pinCreates(flow, 'production')).toHaveLength(3);
});

it('the `reconcile` schedule reads the section too; two Pins there with the draft’s content: several, and the operator picks one', async () => {
  const pin = await sectionDraft();
  await droppedAfterCreate(flow, pin, 'production');
  const twin = await pinAtPinterest(flow, 'production', { boardId: BOARD.id, sectionId, ...content });

  const { result, requests } = await requestsDuring(flow, () => runSchedule('reconcile'));
  expect(result).toMatchObject({ production: { tried: 1, published: 0 }, sandbox: { tried: 0 } });
  expect(calls(requests)).toEqual([`GET /v5/boards/${BOARD.id}/sections/${sectionId}/pins`]);
  const waiting = (await readPin(pin.id)) as ReconcileJson;
  expect(waiting).toMatchObject({ status: 'needs_reconcile', scan: { result: 'several' } });
  expect(waiting.scan?.candidates.map((c) => c.pinterestPinId)).toContain(twin.id);

  const res = await resolve(pin.id, { outcome: 'published', pinterestPinId: twin.id });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({ status: 'published', published: { pinterestPinId: twin.id, boardId: BOARD.id, sectionId } });
});
