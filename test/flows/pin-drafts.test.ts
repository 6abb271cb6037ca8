import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SEED } from '../../local/emulators/pinterest';
import { HISTORY_KEEP, contentHash, pinContentSchema } from '../../shared/domain/pins';
import * as z from '../../shared/zod';
import { clients } from '../support/aws';
import { getSections, resetBoardFlow, setUpBoardFlow, syncAndWait } from '../support/board-flow';
import {
  approvePin,
  clearPins,
  copyPin,
  createPin,
  deletePin,
  errorOf,
  getPin,
  issuePaths,
  listPins,
  patchPin,
  pinAndMediaItems,
  pinItem,
  postCopy,
  postPin,
  readPin,
  rejectPin,
  sandboxBoard,
  type HistoryJson,
  type PinJson,
  type PinListJson,
} from '../support/pin-flow';

/**
 * Pin drafts and their review through the real handlers against dynalite and the Pinterest emulator:
 * where a draft may go (the environment's snapshot, never a sandbox group board, a section only once
 * the board's sections were read), the transition table with its 409s, the history, the listing, and
 * a draft whose board left the snapshot (board_missing).
 */

const flow = setUpBoardFlow('pin-drafts');
const FIRST = SEED.known.firstBoard;
const SECOND = SEED.known.secondBoard;
const THIRD = SEED.known.thirdBoard;
let boardA: string;
let boardB: string;
let firstSections: string[];
let secondSections: string[];

interface SectionsJson {
  sections: Array<{ id: string; name: string }>;
}

beforeAll(async () => {
  await resetBoardFlow(flow, ['sandbox', 'production']);
  boardA = (await sandboxBoard('Zen Garden Ideas')).id;
  boardB = (await sandboxBoard('Mindful Mornings')).id;
  expect((await syncAndWait(flow, 'production')).status).toBe('succeeded');
  firstSections = ((await getSections('production', FIRST.id)).json() as SectionsJson).sections.map((s) => s.id);
  secondSections = ((await getSections('production', SECOND.id)).json() as SectionsJson).sections.map((s) => s.id);
  expect(firstSections).toHaveLength(FIRST.sections);
  expect(secondSections).toHaveLength(SECOND.sections);
});

const IMAGE = { imageUrl: 'https://images.example.com/zen.jpg' };
const sandboxDraft = (extra: Record<string, unknown> = {}) => createPin({ environment: 'sandbox', boardId: boardA, title: 'Raked gravel patterns', ...IMAGE, ...extra });

/** The record's content as stored, read with the SDK and parsed as the product's schema says. */
async function storedContent(id: string) {
  const item = await pinItem(flow, id);
  return z.parse(pinContentSchema, item?.content);
}

/** Sets what no route sets yet (a later feature's statuses), straight in the table, index key included. */
async function forceStatus(id: string, env: string, status: string): Promise<void> {
  await clients.dynamo.send(
    new UpdateCommand({
      TableName: flow.tables.workflow,
      Key: { pk: `PIN#${id}`, sk: 'PIN' },
      UpdateExpression: 'SET #status = :status, statusKey = :key',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status, ':key': `PIN#${env}#${status}` },
    }),
  );
}

async function pinCount(): Promise<number> {
  return (await pinAndMediaItems(flow)).pins.length;
}

describe('where a draft may go', () => {
  it('refuses a group board in the sandbox (400 body.boardId), storing nothing; approving a draft whose sandbox board became a group board is a 409', async () => {
    const board = await sandboxBoard('Shared <Mood> Board');
    const draft = await sandboxDraft({ boardId: board.id });
    // The next sync finds the board shared (collaborators): it is a group board in the snapshot now.
    await flow.deps.boards.putBoard({ environment: 'sandbox', boardId: board.id, name: board.name, privacy: 'PUBLIC', ownerUsername: 'miradigitalzen', collaboratorCount: 2, group: true, syncedAt: new Date().toISOString() });
    const before = await pinCount();
    const res = await postPin({ environment: 'sandbox', boardId: board.id, ...IMAGE });
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toEqual(['body.boardId']);
    expect(errorOf(res).message).toContain('group board');
    expect(await pinCount()).toBe(before);

    const moved = await patchPin((await sandboxDraft()).id, { version: 1, boardId: board.id });
    expect(moved.statusCode).toBe(400);
    expect(issuePaths(moved)).toEqual(['body.boardId']);

    const approve = await approvePin(draft.id, 1);
    expect(approve.statusCode).toBe(409);
    expect(errorOf(approve).message).toContain('group board');
    expect(await readPin(draft.id)).toMatchObject({ status: 'draft', version: 1, approval: null });
  });

  it('takes a group board in production (the rule is the sandbox\'s)', async () => {
    const pin = await createPin({ environment: 'production', boardId: SEED.known.joinedGroupBoard.id, ...IMAGE });
    expect(pin).toMatchObject({ environment: 'production', boardId: SEED.known.joinedGroupBoard.id, status: 'draft', boardMissing: false });
  });

  it('refuses an unknown board, and a board of the other environment, with a 400 naming body.boardId', async () => {
    const before = await pinCount();
    for (const [environment, boardId] of [
      ['sandbox', '549755813099999999'],
      ['sandbox', FIRST.id],
      ['production', boardA],
    ]) {
      const res = await postPin({ environment, boardId, ...IMAGE });
      expect(res.statusCode).toBe(400);
      expect(issuePaths(res)).toEqual(['body.boardId']);
      expect(errorOf(res).message).toContain(`not in the ${environment} board snapshot`);
    }
    expect(await pinCount()).toBe(before);
  });

  it('takes a synced production board with one of its sections; the section and board show on the draft', async () => {
    const pin = await createPin({ environment: 'production', boardId: SECOND.id, sectionId: secondSections[1], title: 'Tea & Journaling', ...IMAGE });
    expect(pin).toMatchObject({ environment: 'production', boardId: SECOND.id, sectionId: secondSections[1], boardMissing: false, flags: [] });
    expect(await readPin(pin.id)).toMatchObject({ sectionId: secondSections[1] });
    expect((await approvePin(pin.id, 1)).statusCode).toBe(200);
  });

  it('refuses a section of another board (400 body.sectionId), at creation and in a PATCH', async () => {
    const before = await pinCount();
    const res = await postPin({ environment: 'production', boardId: FIRST.id, sectionId: secondSections[0], ...IMAGE });
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toEqual(['body.sectionId']);
    expect(errorOf(res).message).toContain(`not a section of board ${FIRST.id}`);
    expect(await pinCount()).toBe(before);

    const pin = await createPin({ environment: 'production', boardId: FIRST.id, sectionId: firstSections[0], ...IMAGE });
    const patch = await patchPin(pin.id, { version: 1, sectionId: secondSections[0] });
    expect(patch.statusCode).toBe(400);
    expect(issuePaths(patch)).toEqual(['body.sectionId']);
    const move = await patchPin(pin.id, { version: 1, boardId: SECOND.id, sectionId: firstSections[0] });
    expect(move.statusCode).toBe(400);
    expect(issuePaths(move)).toEqual(['body.sectionId']);
    expect(await readPin(pin.id)).toMatchObject({ version: 1, boardId: FIRST.id, sectionId: firstSections[0] });
  });

  it('refuses a section of a board whose sections were never read, pointing at GET /boards/{id}/sections', async () => {
    const res = await postPin({ environment: 'production', boardId: THIRD.id, sectionId: firstSections[0], ...IMAGE });
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toEqual(['body.sectionId']);
    expect(errorOf(res).message).toContain(`GET /boards/${THIRD.id}/sections?environment=production`);
    // The same in a PATCH adding a section.
    const pin = await createPin({ environment: 'production', boardId: THIRD.id, ...IMAGE });
    const patch = await patchPin(pin.id, { version: 1, sectionId: firstSections[0] });
    expect(patch.statusCode).toBe(400);
    expect(errorOf(patch).message).toContain(`GET /boards/${THIRD.id}/sections`);
  });

  it('moving a draft to another board drops its section unless a new one is given', async () => {
    const pin = await createPin({ environment: 'production', boardId: FIRST.id, sectionId: firstSections[2], ...IMAGE });
    const moved = await patchPin(pin.id, { version: 1, boardId: SECOND.id });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ boardId: SECOND.id, sectionId: null, version: 2 });
    expect(await storedContent(pin.id)).not.toHaveProperty('sectionId');
    const withSection = await patchPin(pin.id, { version: 2, boardId: FIRST.id, sectionId: firstSections[3] });
    expect(withSection.json()).toMatchObject({ boardId: FIRST.id, sectionId: firstSections[3], version: 3 });
    const cleared = await patchPin(pin.id, { version: 3, sectionId: null });
    expect(cleared.json()).toMatchObject({ boardId: FIRST.id, sectionId: null, version: 4 });
  });
});

describe('the review workflow', () => {
  it('a PATCH at a stale version is a 409 carrying the current record (error.current), and changes nothing', async () => {
    const pin = await sandboxDraft();
    expect((await patchPin(pin.id, { version: 1, title: 'Edited once' })).statusCode).toBe(200);
    const current = await readPin(pin.id);
    const item = await pinItem(flow, pin.id);

    const stale = await patchPin(pin.id, { version: 1, title: 'Edited from a stale page' });
    expect(stale.statusCode).toBe(409);
    const error = errorOf(stale);
    expect(error).toMatchObject({ code: 'conflict', currentState: 'draft' });
    expect(error.message).toContain('version 2, not 1');
    expect(error.current).toEqual(current);
    expect(error.current?.title).toBe('Edited once');

    // The same for approve, reject and delete, and for a version from the future.
    for (const res of [await approvePin(pin.id, 1), await rejectPin(pin.id, 1, 'no'), await deletePin(pin.id, 1), await patchPin(pin.id, { version: 3, title: 'x' })]) {
      expect(res.statusCode).toBe(409);
      expect(errorOf(res).current).toEqual(current);
    }
    expect(await pinItem(flow, pin.id)).toEqual(item);
  });

  it('approval stores the hash of the exact stored content; an edit drops it (status draft, approval null)', async () => {
    const pin = await sandboxDraft({ description: 'Stones, moss and raked gravel', link: 'https://example.com/zen', dominantColor: '#A3B18A' });
    const approved = await approvePin(pin.id, 1);
    expect(approved.statusCode).toBe(200);
    const view = approved.json() as PinJson;
    expect(view).toMatchObject({ status: 'approved', version: 2, approval: { by: 'operator', holds: true } });
    expect(view.approval?.contentHash).toBe(contentHash('sandbox', await storedContent(pin.id)));
    expect((await pinItem(flow, pin.id))?.approval).toMatchObject({ contentHash: view.approval?.contentHash, by: 'operator', at: view.approval?.at });

    const edited = await patchPin(pin.id, { version: 2, description: 'Stones and moss' });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ status: 'draft', version: 3, approval: null, description: 'Stones and moss' });
    expect(await readPin(pin.id)).toMatchObject({ status: 'draft', approval: null });
    expect(await pinItem(flow, pin.id)).not.toHaveProperty('approval');

    // Even an edit of the operator's own note (not part of the content) drops it.
    expect((await approvePin(pin.id, 3)).statusCode).toBe(200);
    const relabelled = await patchPin(pin.id, { version: 4, assetLabel: 'spring batch' });
    expect(relabelled.json()).toMatchObject({ status: 'draft', approval: null, assetLabel: 'spring batch' });
  });

  it('rejects a draft or an approved record with the reason (trimmed, NFC); an edit clears the rejection', async () => {
    const draft = await sandboxDraft();
    const rejected = await rejectPin(draft.id, 1, '  Wrong season 🍂 Cafe\u0301  ');
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'rejected', version: 2, approval: null, rejection: { reason: 'Wrong season 🍂 Café' } });
    const again = await rejectPin(draft.id, 2, 'twice');
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).currentState).toBe('rejected');
    const approveRejected = await approvePin(draft.id, 2);
    expect(approveRejected.statusCode).toBe(409);
    expect(errorOf(approveRejected)).toMatchObject({ currentState: 'rejected', message: expect.stringContaining('only a draft one can') as unknown });
    const edited = await patchPin(draft.id, { version: 2, title: 'Spring raking' });
    expect(edited.json()).toMatchObject({ status: 'draft', version: 3, rejection: null });
    expect(await pinItem(flow, draft.id)).not.toHaveProperty('rejection');

    const approved = await sandboxDraft();
    expect((await approvePin(approved.id, 1)).statusCode).toBe(200);
    const approveTwice = await approvePin(approved.id, 2);
    expect(approveTwice.statusCode).toBe(409);
    expect(errorOf(approveTwice).currentState).toBe('approved');
    const fromApproved = await rejectPin(approved.id, 2, 'Changed my mind');
    expect(fromApproved.json()).toMatchObject({ status: 'rejected', version: 3, approval: null, rejection: { reason: 'Changed my mind' } });
    expect(await pinItem(flow, approved.id)).not.toHaveProperty('approval');
  });

  it('deletes a draft, a rejected or a failed record; an approved or publishing one is a 409 with currentState, and stays', async () => {
    const draft = await sandboxDraft();
    const deleted = await deletePin(draft.id, 1);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ id: draft.id, deleted: true });
    expect(await pinItem(flow, draft.id)).toBeUndefined();
    expect((await getPin(draft.id)).statusCode).toBe(404);
    expect((await deletePin(draft.id, 1)).statusCode).toBe(404);

    const rejected = await sandboxDraft();
    await rejectPin(rejected.id, 1, 'no');
    expect((await deletePin(rejected.id, 2)).statusCode).toBe(200);
    expect(await pinItem(flow, rejected.id)).toBeUndefined();

    const failed = await sandboxDraft();
    await forceStatus(failed.id, 'sandbox', 'failed');
    expect((await deletePin(failed.id, 1)).statusCode).toBe(200);
    expect(await pinItem(flow, failed.id)).toBeUndefined();

    const approved = await sandboxDraft();
    await approvePin(approved.id, 1);
    const refused = await deletePin(approved.id, 2);
    expect(refused.statusCode).toBe(409);
    expect(errorOf(refused)).toMatchObject({ code: 'conflict', currentState: 'approved', message: expect.stringContaining('draft, rejected, failed') as unknown });
    expect(await readPin(approved.id)).toMatchObject({ status: 'approved', version: 2 });

    const publishing = await sandboxDraft();
    await forceStatus(publishing.id, 'sandbox', 'publishing');
    const busy = await deletePin(publishing.id, 1);
    expect(busy.statusCode).toBe(409);
    expect(errorOf(busy).currentState).toBe('publishing');
    const edit = await patchPin(publishing.id, { version: 1, title: 'x' });
    expect(edit.statusCode).toBe(409);
    expect(errorOf(edit).currentState).toBe('publishing');
    expect(await pinItem(flow, publishing.id)).toMatchObject({ status: 'publishing', version: 1 });
  });

  it('GET /pins/{id} shows every transition: action, from, to, at, by, reason and the version it produced', async () => {
    const pin = await sandboxDraft();
    const steps: Array<() => Promise<unknown>> = [
      () => patchPin(pin.id, { version: 1, title: 'Edited' }),
      () => approvePin(pin.id, 2),
      () => patchPin(pin.id, { version: 3, title: 'Edited after approval' }),
      () => approvePin(pin.id, 4),
      () => rejectPin(pin.id, 5, 'Wrong season'),
      () => patchPin(pin.id, { version: 6, description: 'New season' }),
      () => rejectPin(pin.id, 7, ' Still <not> "right" '),
    ];
    for (const step of steps) expect(((await step()) as { statusCode: number }).statusCode).toBe(200);
    const detail = await readPin(pin.id);
    const history = detail.history ?? [];
    const expected: Array<Omit<HistoryJson, 'at'>> = [
      { action: 'create', from: null, to: 'draft', by: 'operator', version: 1 },
      { action: 'edit', from: 'draft', to: 'draft', by: 'operator', version: 2 },
      { action: 'approve', from: 'draft', to: 'approved', by: 'operator', version: 3 },
      { action: 'edit', from: 'approved', to: 'draft', by: 'operator', version: 4 },
      { action: 'approve', from: 'draft', to: 'approved', by: 'operator', version: 5 },
      { action: 'reject', from: 'approved', to: 'rejected', by: 'operator', reason: 'Wrong season', version: 6 },
      { action: 'edit', from: 'rejected', to: 'draft', by: 'operator', version: 7 },
      { action: 'reject', from: 'draft', to: 'rejected', by: 'operator', reason: 'Still <not> "right"', version: 8 },
    ];
    expect(history.map((entry) => Object.fromEntries(Object.entries(entry).filter(([key]) => key !== 'at')))).toEqual(expected);
    const times = history.map((entry) => entry.at);
    expect(times.every((at) => new Date(at).toISOString() === at)).toBe(true);
    expect([...times].sort()).toEqual(times);
    expect(times[0]).toBe(detail.createdAt);
    expect(times.at(-1)).toBe(detail.updatedAt);
    expect(detail).toMatchObject({ status: 'rejected', version: 8, historyDropped: 0, rejection: { reason: 'Still <not> "right"', at: times.at(-1) } });
  });
});

describe('a long history', () => {
  it('keeps 100 entries in all, the first and the latest 99, and counts the ones left out (historyDropped)', async () => {
    expect(HISTORY_KEEP).toBe(100);
    const pin = await sandboxDraft();
    for (let version = 1; version <= 105; version += 1) {
      const res = await patchPin(pin.id, { version, title: `Edit ${String(version)}` });
      expect(res.statusCode).toBe(200);
    }
    const detail = await readPin(pin.id);
    const history = detail.history ?? [];
    expect(detail).toMatchObject({ version: 106, title: 'Edit 105', historyDropped: 6 });
    expect(history).toHaveLength(100);
    expect(history[0]).toMatchObject({ action: 'create', version: 1 });
    expect(history.slice(1).map((entry) => entry.version)).toEqual(Array.from({ length: 99 }, (_, i) => i + 8));
  });
});

describe('GET /pins', () => {
  it('lists one environment\'s records of one status, newest change first, paged with limit and nextCursor, without duplicates or gaps', async () => {
    await clearPins(flow);
    const drafts: PinJson[] = [];
    for (let i = 0; i < 8; i += 1) drafts.push(await sandboxDraft({ title: `Draft ${String(i)}` }));
    // Others that must not show: another status, another environment.
    const approved = await sandboxDraft({ title: 'Approved' });
    await approvePin(approved.id, 1);
    const rejected = await sandboxDraft({ title: 'Rejected' });
    await rejectPin(rejected.id, 1, 'no');
    await createPin({ environment: 'production', boardId: FIRST.id, ...IMAGE });
    // An edit makes the oldest draft the newest change.
    const bumped = await patchPin(drafts[0]?.id ?? '', { version: 1, title: 'Draft 0, edited' });
    expect(bumped.statusCode).toBe(200);
    const current = await Promise.all(drafts.map((d) => readPin(d.id)));
    const expectedOrder = [...current].sort((a, b) => (`${b.updatedAt}#${b.id}` < `${a.updatedAt}#${a.id}` ? -1 : 1)).map((p) => p.id);
    expect(expectedOrder[0]).toBe(drafts[0]?.id);

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const res = await listPins({ environment: 'sandbox', status: 'draft', limit: '3', ...(cursor === undefined ? {} : { cursor }) });
      expect(res.statusCode).toBe(200);
      const page = res.json() as PinListJson;
      expect(page).toMatchObject({ environment: 'sandbox', status: 'draft' });
      for (const item of page.items) {
        expect(item).toMatchObject({ environment: 'sandbox', status: 'draft', boardMissing: false, flags: [] });
        expect(item).not.toHaveProperty('history');
      }
      seen.push(...page.items.map((item) => item.id));
      sizes.push(page.items.length);
      cursor = page.nextCursor;
    } while (cursor !== undefined && sizes.length < 10);
    expect(seen).toEqual(expectedOrder);
    expect(new Set(seen).size).toBe(8);
    expect(sizes.slice(0, 3)).toEqual([3, 3, 2]);

    const all = (await listPins({ environment: 'sandbox', status: 'draft' })).json() as PinListJson;
    expect(all.items.map((item) => item.id)).toEqual(expectedOrder);
    expect(all.nextCursor).toBeUndefined();
    expect(all.items[0]).toEqual(Object.fromEntries(Object.entries(current[0] ?? {}).filter(([key]) => key !== 'history' && key !== 'historyDropped')));

    expect(((await listPins({ environment: 'sandbox', status: 'approved' })).json() as PinListJson).items.map((i) => i.id)).toEqual([approved.id]);
    expect(((await listPins({ environment: 'sandbox', status: 'rejected' })).json() as PinListJson).items.map((i) => i.id)).toEqual([rejected.id]);
    expect(((await listPins({ environment: 'production', status: 'draft' })).json() as PinListJson).items).toHaveLength(1);
    expect(((await listPins({ environment: 'sandbox', status: 'published' })).json() as PinListJson)).toEqual({ environment: 'sandbox', status: 'published', items: [] });

    // A cursor belongs to its listing: one of the draft listing is refused by another status's.
    const firstPage = (await listPins({ environment: 'sandbox', status: 'draft', limit: '2' })).json() as PinListJson;
    expect(firstPage.nextCursor).toEqual(expect.any(String));
    const foreign = await listPins({ environment: 'sandbox', status: 'approved', cursor: firstPage.nextCursor ?? '' });
    expect(foreign.statusCode).toBe(400);
    expect(errorOf(foreign).message).toMatch(/cursor/i);
  });
});

describe('a board that left the snapshot', () => {
  it('shows boardMissing / board_missing after a complete sync without it, approve is a 409 (currentState board_missing), and a move fixes it', async () => {
    const board = await sandboxBoard('Soon gone');
    const pin = await sandboxDraft({ boardId: board.id });
    // Before any complete sandbox sync nothing can be said: not missing.
    expect(await readPin(pin.id)).toMatchObject({ boardMissing: false, flags: [] });
    flow.emulator.controls.deleteBoard('sandbox', board.id);
    // Still in the snapshot until a sync completes.
    expect(await readPin(pin.id)).toMatchObject({ boardMissing: false });
    expect((await syncAndWait(flow, 'sandbox')).status).toBe('succeeded');

    const detail = await readPin(pin.id);
    expect(detail).toMatchObject({ status: 'draft', version: 1, boardMissing: true, flags: ['board_missing'] });
    const listed = ((await listPins({ environment: 'sandbox', status: 'draft', limit: '100' })).json() as PinListJson).items.find((item) => item.id === pin.id);
    expect(listed).toMatchObject({ boardMissing: true, flags: ['board_missing'] });
    // Drafts on boards still there are not flagged.
    const fine = await sandboxDraft({ boardId: boardB });
    expect(fine).toMatchObject({ boardMissing: false });

    const approve = await approvePin(pin.id, 1);
    expect(approve.statusCode).toBe(409);
    expect(errorOf(approve)).toMatchObject({ code: 'conflict', currentState: 'board_missing', status: 'draft', message: expect.stringContaining(`PATCH /pins/${pin.id}`) as unknown });
    expect(await readPin(pin.id)).toEqual(detail);
    // A new draft cannot go there either.
    const create = await postPin({ environment: 'sandbox', boardId: board.id, ...IMAGE });
    expect(create.statusCode).toBe(400);
    expect(issuePaths(create)).toEqual(['body.boardId']);

    const moved = await patchPin(pin.id, { version: 1, boardId: boardB });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ boardId: boardB, boardMissing: false, flags: [] });
    expect((await approvePin(pin.id, 2)).json()).toMatchObject({ status: 'approved', approval: { holds: true } });
  });

  it('refuses to set a section on a draft whose board left the snapshot (its sections cannot be checked): 400 naming body.sectionId', async () => {
    const board = await sandboxBoard('Gone with its sections');
    const pin = await sandboxDraft({ boardId: board.id });
    flow.emulator.controls.deleteBoard('sandbox', board.id);
    expect((await syncAndWait(flow, 'sandbox')).status).toBe('succeeded');
    expect(await readPin(pin.id)).toMatchObject({ boardMissing: true });
    const item = await pinItem(flow, pin.id);
    const res = await patchPin(pin.id, { version: 1, sectionId: '4242424242' });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('validation_failed');
    expect(issuePaths(res)).toEqual(['body.sectionId']);
    expect(errorOf(res).message).toContain(`board ${board.id} is no longer in the sandbox board snapshot`);
    expect(await pinItem(flow, pin.id)).toEqual(item);
    expect(await readPin(pin.id)).toMatchObject({ version: 1, sectionId: null });
    // Moving it to a board of the snapshot still works.
    expect((await patchPin(pin.id, { version: 1, boardId: boardB })).json()).toMatchObject({ version: 2, boardId: boardB, boardMissing: false });
  });
});

describe('POST /pins/{id}/copy', () => {
  it('copies an approved record into a new version-1 draft (copiedFrom, a "copy" history entry, no approval); the source stays approved', async () => {
    const source = await sandboxDraft({ description: 'Copied <&> 🍵', assetLabel: 'batch 2', link: 'https://example.com/zen' });
    expect((await approvePin(source.id, 1)).statusCode).toBe(200);
    const sourceItem = await pinItem(flow, source.id);
    const copy = await copyPin(source.id);
    expect(copy).toMatchObject({
      status: 'draft',
      version: 1,
      copiedFrom: source.id,
      approval: null,
      rejection: null,
      boardId: boardA,
      title: 'Raked gravel patterns',
      description: 'Copied <&> 🍵',
      link: 'https://example.com/zen',
      assetLabel: 'batch 2',
      image: { source: 'url', url: IMAGE.imageUrl },
      historyDropped: 0,
    });
    expect(copy.history).toEqual([{ action: 'copy', from: null, to: 'draft', at: copy.createdAt, by: 'operator', version: 1, reason: `copied from ${source.id}` }]);
    expect(await readPin(copy.id)).toEqual(copy);
    expect(await pinItem(flow, copy.id)).toMatchObject({ status: 'draft', version: 1, copiedFrom: source.id });
    expect(await pinItem(flow, copy.id)).not.toHaveProperty('approval');
    expect(await pinItem(flow, source.id)).toEqual(sourceItem);
    // The copy is reviewed like any draft.
    expect((await approvePin(copy.id, 1)).json()).toMatchObject({ status: 'approved', approval: { holds: true } });
  });

  it('answers 404 for an unknown record and 400 for a malformed id, storing nothing', async () => {
    const before = await pinCount();
    const unknown = await postCopy('00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(unknown).code).toBe('not_found');
    const malformed = await postCopy('not-a-uuid');
    expect(malformed.statusCode).toBe(400);
    expect(issuePaths(malformed)).toEqual(['path.id']);
    expect(await pinCount()).toBe(before);
  });
});
