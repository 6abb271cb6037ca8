import { buildHttpApiEvent } from '../../local/api-event';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/domain/errors';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { HISTORY_KEEP, contentHash, mediaKey, pinStatuses, type PinMedia, type PinRecord, type PinStatus } from '../../shared/domain/pins';
import { draftInput, patchInput } from '../../shared/http/pin-input';
import { statusFor } from '../../shared/http/status';
import {
  approveDraft,
  copyPin,
  createDraft,
  deleteDraft,
  editDraft,
  getPin,
  listPins,
  pinMedia,
  rejectDraft,
  type DraftInput,
  type ImageInput,
} from '../../shared/use-cases/pins';
import { BOARDS, PIN_ACCOUNTS, SECTIONS, connectedAccount, holderOf, imageBytes, memoryPinDeps, prng, refsHeldBy, sha256Of, type PinState } from '../support/memory-pins';
import { rejectionOf } from '../support/rejection';
import type { PinDeps } from '../../shared/use-cases/pin-ports';

/**
 * The Pin drafts' use cases against the in-memory ports: the transition table, the conditional writes
 * on the version the operator saw, the approval bound to the content, the board snapshot rules, and
 * image bytes shared between records by reference: each setting of an image (a create, a PATCH with
 * an image, a copy) takes a reference of its own, `<pinId>:<id>`, kept in the record's `media.ref`.
 */

const ENV = 'sandbox' satisfies PinterestEnvironment;
const ACCOUNT = PIN_ACCOUNTS.sandbox;
const TEA_URL = 'https://images.example.test/tea.jpg';

type Memory = { deps: PinDeps; state: PinState };

function draft(changes: Partial<DraftInput> = {}): DraftInput {
  return { environment: ENV, boardId: BOARDS.PLAIN, title: 'Morning tea', image: { kind: 'url', url: TEA_URL }, ...changes };
}

function bytes(seed: string): ImageInput & { kind: 'bytes' } {
  return { kind: 'bytes', bytes: imageBytes(seed), contentType: 'image/png' };
}

function jsonEvent(method: string, url: string, body: unknown) {
  return buildHttpApiEvent({ method, url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Moves the clock a minute, so every change has its own time. */
function tick(memory: Memory): string {
  memory.state.clock.advance(60_000);
  return memory.state.clock.now().toISOString();
}

/** A record as a later feature (publishing, say) would leave it: `status` at the next version, with `changes`. */
function forceStatus(memory: Memory, pinId: string, status: PinStatus, changes: Partial<PinRecord> = {}): PinRecord {
  const record = memory.state.pins.record(pinId);
  if (record === undefined) throw new Error(`no record ${pinId}`);
  const at = tick(memory);
  const next: PinRecord = {
    ...record,
    ...changes,
    status,
    version: record.version + 1,
    updatedAt: at,
    history: [...record.history, { action: 'edit', from: record.status, to: status, at, by: 'system', version: record.version + 1 }],
  };
  memory.state.pins.seed(next);
  return next;
}

function stored(memory: Memory, pinId: string): PinRecord {
  const record = memory.state.pins.record(pinId);
  if (record === undefined) throw new Error(`no record ${pinId}`);
  return record;
}

/** The reference the record holds its stored image by. */
function refOf(memory: Memory, pinId: string): string {
  const media = stored(memory, pinId).content.media;
  if (media.kind !== 'stored') throw new Error(`${pinId} has no stored image`);
  return media.ref;
}

/**
 * The images follow the records: the reference sets are exactly the live records' own references
 * (none leaked, none missing), and the bucket holds exactly the bytes of the images they hold.
 */
function expectImagesFollowRecords(memory: Memory): void {
  const records = memory.state.pins.all();
  const keys = new Set(records.flatMap((record) => (record.content.media.kind === 'stored' ? [record.content.media.key] : [])));
  expect({ refs: memory.state.media.allRefs(), objects: memory.state.media.objectKeys() }).toEqual({ refs: refsHeldBy(records), objects: [...keys].sort() });
  for (const key of keys) expect(memory.state.media.bytesOf(key)).toBeDefined();
}

/** The state of every store, to show a refused action changed nothing. */
function everything(memory: Memory) {
  return { records: memory.state.pins.all(), refs: memory.state.media.allRefs(), objects: memory.state.media.objectKeys() };
}

describe('createDraft: POST /pins', () => {
  it('stores a version-1 draft on a board of the snapshot, with its creation in the history', async () => {
    const memory = memoryPinDeps();
    const view = await createDraft(memory.deps, draft({ sectionId: SECTIONS.PLAIN_1, assetLabel: 'spring batch', link: 'https://mira.example.test/tea', dominantColor: '#6E7874' }));
    expect(view).toMatchObject({
      id: 'pin-0001',
      environment: ENV,
      status: 'draft',
      version: 1,
      boardId: BOARDS.PLAIN,
      sectionId: SECTIONS.PLAIN_1,
      assetLabel: 'spring batch',
      title: 'Morning tea',
      description: null,
      link: 'https://mira.example.test/tea',
      dominantColor: '#6E7874',
      image: { source: 'url', url: TEA_URL },
      approval: null,
      rejection: null,
      boardMissing: false,
      flags: [],
      history: [{ action: 'create', from: null, to: 'draft', at: '2026-03-01T09:00:00.000Z', by: 'operator', version: 1 }],
      historyDropped: 0,
    });
    const record = stored(memory, view.id);
    expect(record).toEqual({
      pinId: 'pin-0001',
      environment: ENV,
      accountId: ACCOUNT,
      status: 'draft',
      version: 1,
      assetLabel: 'spring batch',
      content: { boardId: BOARDS.PLAIN, sectionId: SECTIONS.PLAIN_1, title: 'Morning tea', link: 'https://mira.example.test/tea', dominantColor: '#6E7874', media: { kind: 'url', url: TEA_URL } },
      history: [{ action: 'create', from: null, to: 'draft', at: '2026-03-01T09:00:00.000Z', by: 'operator', version: 1 }],
      createdAt: '2026-03-01T09:00:00.000Z',
      updatedAt: '2026-03-01T09:00:00.000Z',
    });
    expect(await getPin(memory.deps, view.id)).toEqual(view);
  });

  it('refuses a board that is not in the snapshot, naming the field, and stores nothing (not even the image)', async () => {
    const memory = memoryPinDeps();
    const error = await rejectionOf(createDraft(memory.deps, draft({ boardId: BOARDS.UNKNOWN, image: bytes('a') })), ValidationError);
    expect(statusFor(error.code)).toBe(400);
    expect(error.issues).toEqual([{ path: 'body.boardId', message: expect.stringContaining(`board ${BOARDS.UNKNOWN} is not in the sandbox board snapshot`) }]);
    expect(everything(memory)).toEqual({ records: [], refs: {}, objects: [] });
  });

  it('refuses a group board in the sandbox but takes it in production', async () => {
    const memory = memoryPinDeps();
    const error = await rejectionOf(createDraft(memory.deps, draft({ boardId: BOARDS.GROUP })), ValidationError);
    expect(error.issues).toEqual([{ path: 'body.boardId', message: `board ${BOARDS.GROUP} is a group board: sandbox Pins never go to group boards` }]);
    expect(memory.state.pins.all()).toEqual([]);

    const view = await createDraft(memory.deps, draft({ environment: 'production', boardId: BOARDS.GROUP, sectionId: SECTIONS.GROUP_1 }));
    expect(view).toMatchObject({ environment: 'production', status: 'draft', boardId: BOARDS.GROUP, sectionId: SECTIONS.GROUP_1 });
    expect(stored(memory, view.id).accountId).toBe(PIN_ACCOUNTS.production);
  });

  it('takes a section of the board, refuses one of another board', async () => {
    const memory = memoryPinDeps();
    const ok = await createDraft(memory.deps, draft({ sectionId: SECTIONS.PLAIN_2 }));
    expect(ok.sectionId).toBe(SECTIONS.PLAIN_2);
    const error = await rejectionOf(createDraft(memory.deps, draft({ sectionId: SECTIONS.OTHER_1 })), ValidationError);
    expect(error.issues).toEqual([{ path: 'body.sectionId', message: `section ${SECTIONS.OTHER_1} is not a section of board ${BOARDS.PLAIN}` }]);
    expect(memory.state.pins.all().map((record) => record.pinId)).toEqual([ok.id]);
  });

  it('refuses a section of a board whose sections were never read, saying to read them first', async () => {
    const memory = memoryPinDeps();
    const error = await rejectionOf(createDraft(memory.deps, draft({ boardId: BOARDS.UNCACHED, sectionId: SECTIONS.PLAIN_1 })), ValidationError);
    expect(error.issues).toEqual([
      { path: 'body.sectionId', message: `the sections of board ${BOARDS.UNCACHED} are not known yet: read them first (GET /boards/${BOARDS.UNCACHED}/sections?environment=sandbox)` },
    ]);
    expect(memory.state.pins.all()).toEqual([]);
    // Without a section the board is fine.
    expect((await createDraft(memory.deps, draft({ boardId: BOARDS.UNCACHED }))).boardId).toBe(BOARDS.UNCACHED);
  });

  it('refuses a board of the other environment', async () => {
    const memory = memoryPinDeps();
    memory.state.boards.seedBoard('production', '7777');
    const error = await rejectionOf(createDraft(memory.deps, draft({ boardId: '7777' })), ValidationError);
    expect(error.issues.map((issue) => issue.path)).toEqual(['body.boardId']);
  });

  it.each([
    ['no account', undefined, 'not_connected'],
    ['a disconnected account', 'disconnected', 'disconnected'],
  ] as const)('refuses with %s (409, connect first) and stores nothing', async (_, status, currentState) => {
    const memory = memoryPinDeps({ scene: false });
    memory.state.boards.seedBoard(ENV, BOARDS.PLAIN);
    if (status !== undefined) memory.state.accounts.seed(connectedAccount(ENV, { status }));
    const error = await rejectionOf(createDraft(memory.deps, draft({ image: bytes('a') })), ConflictError);
    expect(statusFor(error.code)).toBe(409);
    expect(error.message).toContain('No Pinterest account is connected in sandbox');
    expect(error.details).toEqual({ currentState });
    expect(everything(memory)).toEqual({ records: [], refs: {}, objects: [] });
  });

  it('holds base64 bytes in the data bucket by SHA-256; the record keeps only the key, hash, type, size and its own reference', async () => {
    const memory = memoryPinDeps();
    const png = imageBytes('tea-cup');
    const base64 = png.toString('base64');
    const view = await createDraft(memory.deps, draftInput(jsonEvent('POST', '/pins', { environment: ENV, boardId: BOARDS.PLAIN, imageBase64: base64, imageContentType: 'image/jpeg' })));
    const sha = sha256Of(png);
    const key = mediaKey(ENV, ACCOUNT, sha);
    expect(key).toBe(`media/sandbox/${ACCOUNT}/${sha}`);
    // The type comes from the bytes (a PNG declared as JPEG is a PNG).
    // The reference: the Pin id, then the next id (the record's took the first).
    const ref = `${view.id}:pin-0002`;
    expect(view.id).toBe('pin-0001');
    expect(stored(memory, view.id).content.media).toEqual({ kind: 'stored', sha256: sha, contentType: 'image/png', bytes: png.length, key, ref });
    // The reference is the store's business: the view does not show it.
    expect(view.image).toEqual({ source: 'stored', contentType: 'image/png', bytes: png.length, sha256: sha, path: `/pins/${view.id}/media` });
    expect(JSON.stringify(memory.state.pins.all())).not.toContain(base64);
    expect(memory.state.media.objectKeys()).toEqual([key]);
    expect(memory.state.media.bytesOf(key)).toEqual(png);
    expect(memory.state.media.refsOf(ENV, ACCOUNT, sha)).toEqual([ref]);
    expect(memory.state.media.calls).toEqual([{ op: 'hold', env: ENV, accountId: ACCOUNT, ref, sha256: sha }]);
    expect(await pinMedia(memory.deps, view.id)).toEqual({ body: png, contentType: 'image/png' });
  });

  it('stores text trimmed and in NFC; emoji and <&"\' round-trip exactly (through the POST body)', async () => {
    const memory = memoryPinDeps();
    const decomposed = 'Cafe\u0301 au lait';
    const body = {
      environment: ENV,
      boardId: BOARDS.PLAIN,
      title: `  ${decomposed} 🍵🧘🏽‍♀️  `,
      description: '\n<b>Tea & "calm"</b> — it\'s <script>&amp;</script> 👩‍👩‍👧\t',
      altText: '   ',
      assetLabel: ' label ',
      imageUrl: ` ${TEA_URL} `,
    };
    const view = await createDraft(memory.deps, draftInput(jsonEvent('POST', '/pins', body)));
    const record = stored(memory, view.id);
    expect(record.content.title).toBe('Caf\u00e9 au lait 🍵🧘🏽‍♀️');
    expect(record.content.title).toBe(record.content.title?.normalize('NFC'));
    expect(record.content.description).toBe('<b>Tea & "calm"</b> — it\'s <script>&amp;</script> 👩‍👩‍👧');
    expect(record.content).not.toHaveProperty('altText'); // empty after trimming: not set
    expect(record.assetLabel).toBe('label');
    expect(record.content.media).toEqual({ kind: 'url', url: TEA_URL });
    const read = await getPin(memory.deps, view.id);
    expect(read.title).toBe('Caf\u00e9 au lait 🍵🧘🏽‍♀️');
    expect(read.description).toBe('<b>Tea & "calm"</b> — it\'s <script>&amp;</script> 👩‍👩‍👧');
    expect(read.altText).toBeNull();
  });

  it('lets go of the image when the record cannot be written', async () => {
    const memory = memoryPinDeps();
    memory.state.pins.failNext('create');
    await expect(createDraft(memory.deps, draft({ image: bytes('a') }))).rejects.toThrow('simulated DynamoDB failure');
    expect(everything(memory)).toEqual({ records: [], refs: {}, objects: [] });
  });
});

describe('editDraft: PATCH /pins/{id}', () => {
  it('refuses a stale version with 409 and the current record, and changes nothing', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ image: bytes('a') }));
    tick(memory);
    await editDraft(memory.deps, created.id, { version: 1, title: 'Second' });
    const before = everything(memory);
    const error = await rejectionOf(editDraft(memory.deps, created.id, { version: 1, title: 'Lost update', image: bytes('b') }), ConflictError);
    expect(statusFor(error.code)).toBe(409);
    expect(error.details).toEqual({ currentState: 'draft', current: await getPin(memory.deps, created.id) });
    expect(error.details?.current).toMatchObject({ version: 2, title: 'Second' });
    expect(everything(memory)).toEqual(before);
  });

  it('edits a draft: the next version, the fields given changed, the others kept', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ description: 'Quiet', link: 'https://mira.example.test/a' }));
    const at = tick(memory);
    const view = await editDraft(memory.deps, created.id, { version: 1, title: 'Evening tea', link: 'https://mira.example.test/b' });
    expect(view).toMatchObject({ status: 'draft', version: 2, title: 'Evening tea', description: 'Quiet', link: 'https://mira.example.test/b', updatedAt: at, createdAt: created.createdAt });
    expect(view.history.at(-1)).toEqual({ action: 'edit', from: 'draft', to: 'draft', at, by: 'operator', version: 2 });
    expect(stored(memory, created.id).content).toEqual({ boardId: BOARDS.PLAIN, title: 'Evening tea', description: 'Quiet', link: 'https://mira.example.test/b', media: { kind: 'url', url: TEA_URL } });
  });

  it('takes an approved record back to draft and drops the approval', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft());
    await approveDraft(memory.deps, created.id, 1);
    expect(stored(memory, created.id).approval).toBeDefined();
    const view = await editDraft(memory.deps, created.id, { version: 2, description: 'Now with a description' });
    expect(view).toMatchObject({ status: 'draft', version: 3, approval: null });
    expect(stored(memory, created.id)).not.toHaveProperty('approval');
    expect(view.history.map((entry) => [entry.action, entry.from, entry.to])).toEqual([
      ['create', null, 'draft'],
      ['approve', 'draft', 'approved'],
      ['edit', 'approved', 'draft'],
    ]);
  });

  it('takes a rejected or failed record back to draft, clearing the rejection', async () => {
    const memory = memoryPinDeps();
    const rejected = await createDraft(memory.deps, draft());
    await rejectDraft(memory.deps, rejected.id, 1, 'Wrong season');
    const fromRejected = await editDraft(memory.deps, rejected.id, { version: 2, title: 'Right season' });
    expect(fromRejected).toMatchObject({ status: 'draft', version: 3, rejection: null, title: 'Right season' });
    expect(stored(memory, rejected.id)).not.toHaveProperty('rejection');

    const failed = await createDraft(memory.deps, draft());
    const failedRecord = forceStatus(memory, failed.id, 'failed');
    const fromFailed = await editDraft(memory.deps, failed.id, { version: failedRecord.version, title: 'Try again' });
    expect(fromFailed).toMatchObject({ status: 'draft', version: failedRecord.version + 1, title: 'Try again' });
    expect(fromFailed.history.at(-1)).toMatchObject({ action: 'edit', from: 'failed', to: 'draft' });
  });

  it.each(['publishing', 'published', 'needs_reconcile', 'missing_on_pinterest'] as const)('refuses to edit a %s record (409 with its status)', async (status) => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ image: bytes('a') }));
    const record = forceStatus(memory, created.id, status);
    const before = everything(memory);
    const error = await rejectionOf(editDraft(memory.deps, created.id, { version: record.version, title: 'Too late', image: bytes('b') }), ConflictError);
    expect(statusFor(error.code)).toBe(409);
    expect(error.details).toEqual({ currentState: status });
    expect(everything(memory)).toEqual(before);
  });

  it('moving to another board drops the section unless a new one is given', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ sectionId: SECTIONS.PLAIN_1 }));
    const moved = await editDraft(memory.deps, created.id, { version: 1, boardId: BOARDS.OTHER });
    expect(moved).toMatchObject({ boardId: BOARDS.OTHER, sectionId: null });
    expect(stored(memory, created.id).content).not.toHaveProperty('sectionId');

    const withSection = await editDraft(memory.deps, created.id, { version: 2, boardId: BOARDS.PLAIN, sectionId: SECTIONS.PLAIN_2 });
    expect(withSection).toMatchObject({ boardId: BOARDS.PLAIN, sectionId: SECTIONS.PLAIN_2 });

    // The same board again is no move: the section stays.
    const same = await editDraft(memory.deps, created.id, { version: 3, boardId: BOARDS.PLAIN });
    expect(same).toMatchObject({ boardId: BOARDS.PLAIN, sectionId: SECTIONS.PLAIN_2 });
  });

  it('checks the new placement: a section of another board, an unknown board, a group board in the sandbox', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ sectionId: SECTIONS.PLAIN_1 }));
    const before = everything(memory);
    const wrongSection = await rejectionOf(editDraft(memory.deps, created.id, { version: 1, boardId: BOARDS.OTHER, sectionId: SECTIONS.PLAIN_1 }), ValidationError);
    expect(wrongSection.issues).toEqual([{ path: 'body.sectionId', message: `section ${SECTIONS.PLAIN_1} is not a section of board ${BOARDS.OTHER}` }]);
    const sectionOnly = await rejectionOf(editDraft(memory.deps, created.id, { version: 1, sectionId: SECTIONS.OTHER_1 }), ValidationError);
    expect(sectionOnly.issues.map((issue) => issue.path)).toEqual(['body.sectionId']);
    const unknown = await rejectionOf(editDraft(memory.deps, created.id, { version: 1, boardId: BOARDS.UNKNOWN }), ValidationError);
    expect(unknown.issues.map((issue) => issue.path)).toEqual(['body.boardId']);
    const group = await rejectionOf(editDraft(memory.deps, created.id, { version: 1, boardId: BOARDS.GROUP }), ValidationError);
    expect(group.issues).toEqual([{ path: 'body.boardId', message: expect.stringContaining('group board') }]);
    expect(everything(memory)).toEqual(before);
  });

  it('null clears a field, an absent key leaves it, an empty text in the body clears it too', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ sectionId: SECTIONS.PLAIN_1, description: 'Quiet', altText: 'A cup', assetLabel: 'note', dominantColor: '#112233' }));
    const view = await editDraft(memory.deps, created.id, { version: 1, description: null, sectionId: null, assetLabel: null });
    expect(view).toMatchObject({ title: 'Morning tea', description: null, sectionId: null, assetLabel: null, altText: 'A cup', dominantColor: '#112233' });
    const record = stored(memory, created.id);
    expect(record.content).toEqual({ boardId: BOARDS.PLAIN, title: 'Morning tea', altText: 'A cup', dominantColor: '#112233', media: { kind: 'url', url: TEA_URL } });
    expect(record).not.toHaveProperty('assetLabel');

    const patch = patchInput(jsonEvent('PATCH', `/pins/${created.id}`, { version: 2, altText: '   ', title: '  Tea\u0301  ' }));
    const cleared = await editDraft(memory.deps, created.id, patch);
    expect(cleared).toMatchObject({ version: 3, altText: null, title: 'Te\u00e1' });
    expect(stored(memory, created.id).content).toEqual({ boardId: BOARDS.PLAIN, title: 'Te\u00e1', dominantColor: '#112233', media: { kind: 'url', url: TEA_URL } });
  });

  it('a new image lets go of the old one only when no other record holds it', async () => {
    const memory = memoryPinDeps();
    const { media } = memory.state;
    const a = bytes('a');
    const b = bytes('b');
    const shaA = sha256Of(a.bytes);
    const shaB = sha256Of(b.bytes);
    const first = await createDraft(memory.deps, draft({ image: a }));
    const second = await createDraft(memory.deps, draft({ image: a }));
    const [firstRef, secondRef] = [refOf(memory, first.id), refOf(memory, second.id)];
    expect(firstRef).not.toBe(secondRef);
    expect(media.refsOf(ENV, ACCOUNT, shaA)).toEqual([firstRef, secondRef].sort());
    expect(media.holdersOf(ENV, ACCOUNT, shaA)).toEqual([first.id, second.id].sort());
    expect(media.objectKeys()).toEqual([mediaKey(ENV, ACCOUNT, shaA)]);

    await editDraft(memory.deps, first.id, { version: 1, image: b });
    expect(media.refsOf(ENV, ACCOUNT, shaA)).toEqual([secondRef]);
    expect(media.refsOf(ENV, ACCOUNT, shaB)).toEqual([refOf(memory, first.id)]);
    expect(media.holdersOf(ENV, ACCOUNT, shaB)).toEqual([first.id]);
    expect(media.objectKeys()).toEqual([mediaKey(ENV, ACCOUNT, shaA), mediaKey(ENV, ACCOUNT, shaB)].sort());
    expect((await pinMedia(memory.deps, second.id)).body).toEqual(a.bytes);
    expect((await pinMedia(memory.deps, first.id)).body).toEqual(b.bytes);
    expectImagesFollowRecords(memory);

    await editDraft(memory.deps, second.id, { version: 1, image: { kind: 'url', url: TEA_URL } });
    expect(media.refsOf(ENV, ACCOUNT, shaA)).toEqual([]);
    expect(media.objectKeys()).toEqual([mediaKey(ENV, ACCOUNT, shaB)]);
    await expect(pinMedia(memory.deps, second.id)).rejects.toThrow(NotFoundError);
    expectImagesFollowRecords(memory);
  });

  it('the same image given again takes a new reference and lets go of the old one: the bytes stay', async () => {
    const memory = memoryPinDeps();
    const a = bytes('a');
    const sha = sha256Of(a.bytes);
    const created = await createDraft(memory.deps, draft({ image: a }));
    const oldRef = refOf(memory, created.id);
    const view = await editDraft(memory.deps, created.id, { version: 1, image: bytes('a') });
    expect(view.version).toBe(2);
    const newRef = refOf(memory, created.id);
    expect([oldRef, newRef]).toEqual(['pin-0001:pin-0002', 'pin-0001:pin-0003']);
    expect(memory.state.media.refsOf(ENV, ACCOUNT, sha)).toEqual([newRef]);
    // The new reference is taken before the old one goes, so the bytes never lack a holder.
    expect(memory.state.media.calls.map((call) => [call.op, call.ref])).toEqual([
      ['hold', oldRef],
      ['hold', newRef],
      ['release', oldRef],
    ]);
    expect(memory.state.media.bytesOf(mediaKey(ENV, ACCOUNT, sha))).toEqual(a.bytes);
    expect((await pinMedia(memory.deps, created.id)).body).toEqual(a.bytes);
    expectImagesFollowRecords(memory);
  });

  it('an edit without an image keeps the record\'s reference: nothing is taken or let go', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ image: bytes('a') }));
    const ref = refOf(memory, created.id);
    await editDraft(memory.deps, created.id, { version: 1, title: 'Renamed', boardId: BOARDS.OTHER });
    expect(refOf(memory, created.id)).toBe(ref);
    expect(memory.state.media.calls.map((call) => call.op)).toEqual(['hold']);
    expectImagesFollowRecords(memory);
  });

  it('lets go of the new image, and keeps the old, when the write fails', async () => {
    const memory = memoryPinDeps();
    const a = bytes('a');
    const created = await createDraft(memory.deps, draft({ image: a }));
    const ref = refOf(memory, created.id);
    memory.state.pins.failNext('replace');
    await expect(editDraft(memory.deps, created.id, { version: 1, image: bytes('b') })).rejects.toThrow('simulated DynamoDB failure');
    expect(memory.state.media.allRefs()).toEqual({ [`sandbox#${ACCOUNT}#${sha256Of(a.bytes)}`]: [ref] });
    expect(memory.state.media.objectKeys()).toEqual([mediaKey(ENV, ACCOUNT, sha256Of(a.bytes))]);
    expect(stored(memory, created.id).version).toBe(1);
    // It let go of exactly the reference it took.
    const taken = 'pin-0001:pin-0003';
    expect(memory.state.media.calls.slice(1).map((call) => [call.op, call.ref, call.sha256])).toEqual([
      ['hold', taken, sha256Of(imageBytes('b'))],
      ['release', taken, sha256Of(imageBytes('b'))],
    ]);
  });

  it('the same image on two records: deleting one keeps the bytes, deleting both removes them', async () => {
    const memory = memoryPinDeps();
    const a = bytes('shared');
    const sha = sha256Of(a.bytes);
    const key = mediaKey(ENV, ACCOUNT, sha);
    const first = await createDraft(memory.deps, draft({ image: a }));
    const second = await createDraft(memory.deps, draft({ image: bytes('shared') }));
    // The same image, each record by a reference of its own.
    const { ref: firstRef, ...firstMedia } = stored(memory, first.id).content.media as PinMedia & { kind: 'stored' };
    const { ref: secondRef, ...secondMedia } = stored(memory, second.id).content.media as PinMedia & { kind: 'stored' };
    expect(firstMedia).toEqual(secondMedia);
    expect([holderOf(firstRef), holderOf(secondRef)]).toEqual([first.id, second.id]);
    expect(memory.state.media.refsOf(ENV, ACCOUNT, sha)).toEqual([firstRef, secondRef].sort());
    expect(memory.state.media.objectKeys()).toEqual([key]);

    await deleteDraft(memory.deps, first.id, 1);
    expect(memory.state.media.refsOf(ENV, ACCOUNT, sha)).toEqual([secondRef]);
    expect(memory.state.media.bytesOf(key)).toEqual(a.bytes);
    expect((await pinMedia(memory.deps, second.id)).body).toEqual(a.bytes);

    await deleteDraft(memory.deps, second.id, 1);
    expect(memory.state.media.refsOf(ENV, ACCOUNT, sha)).toEqual([]);
    expect(memory.state.media.objectKeys()).toEqual([]);
    expect(memory.state.pins.all()).toEqual([]);
  });

  it('edits a draft whose board left the snapshot (to move it), and shows it as board_missing', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ boardId: BOARDS.OTHER }));
    memory.state.boards.removeBoard(ENV, BOARDS.OTHER);
    const renamed = await editDraft(memory.deps, created.id, { version: 1, title: 'Still here' });
    expect(renamed).toMatchObject({ version: 2, boardMissing: true, flags: ['board_missing'] });
    const moved = await editDraft(memory.deps, created.id, { version: 2, boardId: BOARDS.PLAIN });
    expect(moved).toMatchObject({ version: 3, boardId: BOARDS.PLAIN, boardMissing: false, flags: [] });
  });

  it('refuses a section it cannot check on a draft whose board left the snapshot (400 naming body.sectionId), changing nothing', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ boardId: BOARDS.OTHER, sectionId: SECTIONS.OTHER_1 }));
    memory.state.boards.removeBoard(ENV, BOARDS.OTHER);
    const before = everything(memory);
    // Neither an unknown section nor the one the board had (its cached sections went with it).
    for (const sectionId of ['9999999', SECTIONS.OTHER_1]) {
      const error = await rejectionOf(editDraft(memory.deps, created.id, { version: 1, sectionId, title: 'With a section' }), ValidationError);
      expect(statusFor(error.code)).toBe(400);
      expect(error.issues).toEqual([{ path: 'body.sectionId', message: expect.stringContaining(`board ${BOARDS.OTHER} is no longer in the sandbox board snapshot`) }]);
    }
    expect(everything(memory)).toEqual(before);
    // Clearing the section needs no check; moving to a board of the snapshot with one of its sections is fine.
    expect(await editDraft(memory.deps, created.id, { version: 1, sectionId: null })).toMatchObject({ version: 2, sectionId: null, boardMissing: true });
    expect(await editDraft(memory.deps, created.id, { version: 2, boardId: BOARDS.PLAIN, sectionId: SECTIONS.PLAIN_1 })).toMatchObject({ version: 3, sectionId: SECTIONS.PLAIN_1, boardMissing: false });
  });

  it('answers 404 for an unknown record', async () => {
    const memory = memoryPinDeps();
    const error = await rejectionOf(editDraft(memory.deps, 'pin-9999', { version: 1, title: 'x' }), NotFoundError);
    expect(statusFor(error.code)).toBe(404);
  });
});

describe('approveDraft: POST /pins/{id}/approve', () => {
  it('approves a draft: the hash of its exact content, by the operator, at this time', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ sectionId: SECTIONS.PLAIN_1, image: bytes('a'), description: 'Tea 🍵 <&>', assetLabel: 'mine' }));
    const at = tick(memory);
    const view = await approveDraft(memory.deps, created.id, 1);
    const record = stored(memory, created.id);
    expect(record.status).toBe('approved');
    expect(record.version).toBe(2);
    expect(record.approval).toEqual({ contentHash: contentHash(ENV, record.content), by: 'operator', at });
    expect(view.approval).toEqual({ contentHash: contentHash(ENV, record.content), by: 'operator', at, holds: true });
    expect(view.history.at(-1)).toEqual({ action: 'approve', from: 'draft', to: 'approved', at, by: 'operator', version: 2 });
    // The hash covers what is sent: a different title or environment is another hash; the asset label is not part of it.
    expect(contentHash(ENV, { ...record.content, title: 'Other' })).not.toBe(record.approval?.contentHash);
    expect(contentHash('production', record.content)).not.toBe(record.approval?.contentHash);
    const relabelled = await editDraft(memory.deps, created.id, { version: 2, assetLabel: 'relabelled' });
    expect(relabelled.approval).toBeNull();
    const again = await approveDraft(memory.deps, created.id, 3);
    expect(again.approval?.contentHash).toBe(record.approval?.contentHash);
  });

  it('refuses a draft whose board left the snapshot: 409 with currentState board_missing', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ boardId: BOARDS.OTHER }));
    memory.state.boards.removeBoard(ENV, BOARDS.OTHER);
    const before = everything(memory);
    const error = await rejectionOf(approveDraft(memory.deps, created.id, 1), ConflictError);
    expect(statusFor(error.code)).toBe(409);
    expect(error.details).toMatchObject({ currentState: 'board_missing' });
    expect(error.message).toContain('board_missing');
    expect(everything(memory)).toEqual(before);
    const read = await getPin(memory.deps, created.id);
    expect(read).toMatchObject({ status: 'draft', boardMissing: true, flags: ['board_missing'] });
  });

  it('refuses a sandbox draft whose board became a group board since (409), and leaves it a draft', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ boardId: BOARDS.OTHER }));
    memory.state.boards.seedBoard(ENV, BOARDS.OTHER, { group: true });
    const before = everything(memory);
    const error = await rejectionOf(approveDraft(memory.deps, created.id, 1), ConflictError);
    expect(statusFor(error.code)).toBe(409);
    expect(error.message).toContain('group board');
    expect(error.details).toEqual({ currentState: 'draft' });
    expect(everything(memory)).toEqual(before);
  });

  it('approves a production draft on a group board', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ environment: 'production', boardId: BOARDS.GROUP }));
    const view = await approveDraft(memory.deps, created.id, 1);
    const record = stored(memory, created.id);
    expect(view.status).toBe('approved');
    expect(record.approval?.contentHash).toBe(contentHash('production', record.content));
  });

  it.each(['approved', 'rejected', 'publishing', 'published', 'failed', 'needs_reconcile', 'missing_on_pinterest'] as const)(
    'refuses to approve a %s record (409 with its status)',
    async (status) => {
      const memory = memoryPinDeps();
      const created = await createDraft(memory.deps, draft());
      const record = forceStatus(memory, created.id, status);
      const before = everything(memory);
      const error = await rejectionOf(approveDraft(memory.deps, created.id, record.version), ConflictError);
      expect(error.details).toEqual({ currentState: status });
      expect(error.message).toContain(`A ${status} Pin cannot be approved (only a draft one can)`);
      expect(everything(memory)).toEqual(before);
    },
  );

  it('refuses a stale version with the current record', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft());
    await editDraft(memory.deps, created.id, { version: 1, title: 'What I did not see' });
    const error = await rejectionOf(approveDraft(memory.deps, created.id, 1), ConflictError);
    expect(error.details).toEqual({ currentState: 'draft', current: await getPin(memory.deps, created.id) });
    expect(stored(memory, created.id)).not.toHaveProperty('approval');
  });
});

describe('rejectDraft: POST /pins/{id}/reject', () => {
  it('rejects a draft with the reason, in the record and its history', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft());
    const at = tick(memory);
    const view = await rejectDraft(memory.deps, created.id, 1, 'Wrong season ❄️ <&>');
    expect(view).toMatchObject({ status: 'rejected', version: 2, rejection: { reason: 'Wrong season ❄️ <&>', at }, approval: null });
    expect(view.history.at(-1)).toEqual({ action: 'reject', from: 'draft', to: 'rejected', at, by: 'operator', reason: 'Wrong season ❄️ <&>', version: 2 });
    expect(stored(memory, created.id).rejection).toEqual({ reason: 'Wrong season ❄️ <&>', at });
  });

  it('rejects an approved record and drops its approval', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft());
    await approveDraft(memory.deps, created.id, 1);
    const view = await rejectDraft(memory.deps, created.id, 2, 'Changed my mind');
    expect(view).toMatchObject({ status: 'rejected', version: 3, approval: null });
    expect(stored(memory, created.id)).not.toHaveProperty('approval');
    expect(view.history.at(-1)).toMatchObject({ action: 'reject', from: 'approved', to: 'rejected', reason: 'Changed my mind' });
  });

  it.each(['rejected', 'publishing', 'published', 'failed', 'needs_reconcile', 'missing_on_pinterest'] as const)('refuses to reject a %s record (409)', async (status) => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft());
    const record = forceStatus(memory, created.id, status);
    const before = everything(memory);
    const error = await rejectionOf(rejectDraft(memory.deps, created.id, record.version, 'no'), ConflictError);
    expect(error.details).toEqual({ currentState: status });
    expect(everything(memory)).toEqual(before);
  });
});

describe('deleteDraft: DELETE /pins/{id}', () => {
  it.each(['draft', 'rejected', 'failed'] as const)('deletes a %s record and lets go of its image', async (status) => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ image: bytes('a') }));
    const version = status === 'draft' ? 1 : status === 'rejected' ? (await rejectDraft(memory.deps, created.id, 1, 'no')).version : forceStatus(memory, created.id, status).version;
    expect(await deleteDraft(memory.deps, created.id, version)).toEqual({ id: created.id, deleted: true });
    expect(everything(memory)).toEqual({ records: [], refs: {}, objects: [] });
    await expect(getPin(memory.deps, created.id)).rejects.toThrow(NotFoundError);
  });

  it.each(['approved', 'publishing', 'published', 'needs_reconcile', 'missing_on_pinterest'] as const)('refuses to delete a %s record (409), keeping it and its image', async (status) => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ image: bytes('a') }));
    const version = status === 'approved' ? (await approveDraft(memory.deps, created.id, 1)).version : forceStatus(memory, created.id, status).version;
    const before = everything(memory);
    const error = await rejectionOf(deleteDraft(memory.deps, created.id, version), ConflictError);
    expect(statusFor(error.code)).toBe(409);
    expect(error.details).toEqual({ currentState: status });
    expect(error.message).toContain('only a draft, rejected, failed one can');
    expect(everything(memory)).toEqual(before);
  });

  it('refuses a stale version, and answers 404 once the record is gone', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft());
    await editDraft(memory.deps, created.id, { version: 1, title: 'Changed' });
    const error = await rejectionOf(deleteDraft(memory.deps, created.id, 1), ConflictError);
    expect(error.details).toMatchObject({ currentState: 'draft', current: { version: 2, title: 'Changed' } });
    expect(memory.state.pins.record(created.id)?.version).toBe(2);
    await deleteDraft(memory.deps, created.id, 2);
    await expect(deleteDraft(memory.deps, created.id, 2)).rejects.toThrow(NotFoundError);
  });
});

describe('history', () => {
  it('records every transition with from, to, at, by, reason and the version it produced', async () => {
    const memory = memoryPinDeps();
    const times: string[] = [memory.state.clock.now().toISOString()];
    const created = await createDraft(memory.deps, draft());
    times.push(tick(memory));
    await editDraft(memory.deps, created.id, { version: 1, title: 'Two' });
    times.push(tick(memory));
    await approveDraft(memory.deps, created.id, 2);
    times.push(tick(memory));
    await rejectDraft(memory.deps, created.id, 3, 'Not now');
    times.push(tick(memory));
    await editDraft(memory.deps, created.id, { version: 4, title: 'Three' });
    times.push(tick(memory));
    await approveDraft(memory.deps, created.id, 5);
    times.push(tick(memory));
    await editDraft(memory.deps, created.id, { version: 6, title: 'Four' });
    times.push(tick(memory));
    const last = await rejectDraft(memory.deps, created.id, 7, 'Never');
    expect(last.history).toEqual([
      { action: 'create', from: null, to: 'draft', at: times[0], by: 'operator', version: 1 },
      { action: 'edit', from: 'draft', to: 'draft', at: times[1], by: 'operator', version: 2 },
      { action: 'approve', from: 'draft', to: 'approved', at: times[2], by: 'operator', version: 3 },
      { action: 'reject', from: 'approved', to: 'rejected', at: times[3], by: 'operator', reason: 'Not now', version: 4 },
      { action: 'edit', from: 'rejected', to: 'draft', at: times[4], by: 'operator', version: 5 },
      { action: 'approve', from: 'draft', to: 'approved', at: times[5], by: 'operator', version: 6 },
      { action: 'edit', from: 'approved', to: 'draft', at: times[6], by: 'operator', version: 7 },
      { action: 'reject', from: 'draft', to: 'rejected', at: times[7], by: 'operator', reason: 'Never', version: 8 },
    ]);
    expect(last.historyDropped).toBe(0);
    // Refusals leave no entry.
    await expect(approveDraft(memory.deps, created.id, 8)).rejects.toThrow(ConflictError);
    await expect(editDraft(memory.deps, created.id, { version: 1, title: 'stale' })).rejects.toThrow(ConflictError);
    expect(stored(memory, created.id).history).toHaveLength(8);
  });

  it(`keeps the first entry and the latest ones, ${String(HISTORY_KEEP)} in all, counting those dropped`, async () => {
    // As documented: 100 entries in all, the first plus the latest 99.
    expect(HISTORY_KEEP).toBe(100);
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft());
    const edits = 150;
    for (let version = 1; version <= edits; version += 1) {
      tick(memory);
      await editDraft(memory.deps, created.id, { version, title: `Edit ${String(version)}` });
    }
    const view = await getPin(memory.deps, created.id);
    expect(view.version).toBe(edits + 1);
    expect(view.history).toHaveLength(HISTORY_KEEP);
    expect(view.history[0]).toEqual({ action: 'create', from: null, to: 'draft', at: created.createdAt, by: 'operator', version: 1 });
    const tail = view.history.slice(1).map((entry) => entry.version);
    expect(tail).toEqual(Array.from({ length: HISTORY_KEEP - 1 }, (_, i) => edits + 1 - (HISTORY_KEEP - 2) + i));
    expect(view.historyDropped).toBe(edits + 1 - HISTORY_KEEP);
    expect(stored(memory, created.id).historyDropped).toBe(edits + 1 - HISTORY_KEEP);
  });
});

describe('listPins: GET /pins', () => {
  it('pages one status of one environment newest change first, flagging drafts whose board left the snapshot', async () => {
    const memory = memoryPinDeps();
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      tick(memory);
      ids.push((await createDraft(memory.deps, draft({ boardId: i % 3 === 0 ? BOARDS.OTHER : BOARDS.PLAIN, title: `Pin ${String(i)}` }))).id);
    }
    // Noise: another status, another environment.
    tick(memory);
    await approveDraft(memory.deps, ids[2] ?? '', 1);
    await createDraft(memory.deps, draft({ environment: 'production' }));
    // Touch the oldest: it becomes the newest change.
    tick(memory);
    await editDraft(memory.deps, ids[0] ?? '', { version: 1, title: 'Touched' });
    memory.state.boards.removeBoard(ENV, BOARDS.OTHER);

    const pages: Array<Awaited<ReturnType<typeof listPins>>> = [];
    let cursor: string | undefined;
    do {
      const page = await listPins(memory.deps, ENV, 'draft', { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== undefined && pages.length < 10);
    const items = pages.flatMap((page) => page.items);
    const expectedOrder = [ids[0], ids[6], ids[5], ids[4], ids[3], ids[1]];
    expect(items.map((item) => item.id)).toEqual(expectedOrder);
    expect(pages.map((page) => page.items.length)).toEqual([2, 2, 2, 0]);
    expect(pages.every((page) => page.environment === ENV && page.status === 'draft')).toBe(true);
    for (const item of items) {
      const missing = item.boardId === BOARDS.OTHER;
      expect([item.id, item.boardMissing, item.flags]).toEqual([item.id, missing, missing ? ['board_missing'] : []]);
    }
    expect(items.filter((item) => item.boardMissing).map((item) => item.id)).toEqual([ids[0], ids[6], ids[3]]);

    const approved = await listPins(memory.deps, ENV, 'approved', { limit: 10 });
    expect(approved.items.map((item) => item.id)).toEqual([ids[2]]);
    expect(approved.nextCursor).toBeUndefined();
    expect((await listPins(memory.deps, 'production', 'draft', { limit: 10 })).items).toHaveLength(1);
    for (const status of pinStatuses.filter((s) => s !== 'draft' && s !== 'approved')) {
      expect((await listPins(memory.deps, ENV, status, { limit: 10 })).items).toEqual([]);
    }
  });

  it('refuses a cursor of another listing', async () => {
    const memory = memoryPinDeps();
    for (let i = 0; i < 3; i += 1) {
      tick(memory);
      await createDraft(memory.deps, draft());
    }
    const page = await listPins(memory.deps, ENV, 'draft', { limit: 1 });
    expect(page.nextCursor).toBeDefined();
    await expect(listPins(memory.deps, ENV, 'approved', { limit: 1, cursor: page.nextCursor ?? '' })).rejects.toThrow(ValidationError);
  });
});

describe('getPin and pinMedia', () => {
  it('answers 404 for an unknown record, and for the media of a URL image', async () => {
    const memory = memoryPinDeps();
    await expect(getPin(memory.deps, 'pin-0404')).rejects.toThrow(NotFoundError);
    await expect(pinMedia(memory.deps, 'pin-0404')).rejects.toThrow(NotFoundError);
    const created = await createDraft(memory.deps, draft());
    await expect(pinMedia(memory.deps, created.id)).rejects.toThrow(`its image is the URL ${TEA_URL}`);
  });

  it('a board absent before any complete sync is not_synced, not shown as missing', async () => {
    const memory = memoryPinDeps({ scene: false });
    memory.state.accounts.seed(connectedAccount(ENV));
    memory.state.boards.seedBoard(ENV, BOARDS.PLAIN);
    const created = await createDraft(memory.deps, draft());
    memory.state.boards.removeBoard(ENV, BOARDS.PLAIN);
    expect(await getPin(memory.deps, created.id)).toMatchObject({ boardMissing: true });
    const fresh = memoryPinDeps({ scene: false });
    fresh.state.pins.seed(stored(memory, created.id));
    expect(await getPin(fresh.deps, created.id)).toMatchObject({ boardMissing: false, flags: [] });
  });
});

describe('copyPin: POST /pins/{id}/copy', () => {
  it.each(['the source', 'the copy'] as const)(
    'shares a stored image under a new reference of its own: deleting %s first keeps the bytes, deleting both removes them',
    async (firstGone) => {
      const memory = memoryPinDeps();
      const a = bytes('a');
      const sha = sha256Of(a.bytes);
      const key = mediaKey(ENV, ACCOUNT, sha);
      const source = await createDraft(memory.deps, draft({ image: a }));
      const sourceRef = refOf(memory, source.id);
      tick(memory);
      const copy = await copyPin(memory.deps, source.id);
      // The copy's id, then its reference's.
      expect(copy.id).toBe('pin-0003');
      const copyRef = refOf(memory, copy.id);
      expect(copyRef).toBe('pin-0003:pin-0004');
      expect(stored(memory, copy.id).content.media).toEqual({ ...stored(memory, source.id).content.media, ref: copyRef });
      expect(copy.image).toEqual({ source: 'stored', contentType: 'image/png', bytes: a.bytes.length, sha256: sha, path: `/pins/${copy.id}/media` });
      expect(memory.state.media.refsOf(ENV, ACCOUNT, sha)).toEqual([sourceRef, copyRef]);
      // Shared, not written again.
      expect(memory.state.media.calls.map((call) => [call.op, call.ref, call.present])).toEqual([
        ['hold', sourceRef, undefined],
        ['share', copyRef, true],
      ]);
      expect((await pinMedia(memory.deps, copy.id)).body).toEqual(a.bytes);
      expectImagesFollowRecords(memory);

      const [gone, kept] = firstGone === 'the source' ? [source.id, copy.id] : [copy.id, source.id];
      await deleteDraft(memory.deps, gone, 1);
      expect(memory.state.media.refsOf(ENV, ACCOUNT, sha)).toEqual([refOf(memory, kept)]);
      expect(memory.state.media.bytesOf(key)).toEqual(a.bytes);
      expect((await pinMedia(memory.deps, kept)).body).toEqual(a.bytes);
      expectImagesFollowRecords(memory);

      await deleteDraft(memory.deps, kept, 1);
      expect(everything(memory)).toEqual({ records: [], refs: {}, objects: [] });
    },
  );

  it('copies a record whose image is a URL: the same URL, no reference taken, one id used', async () => {
    const memory = memoryPinDeps();
    const source = await createDraft(memory.deps, draft({ description: 'Steam 🍵', link: 'https://mira.example.test/tea' }));
    const copy = await copyPin(memory.deps, source.id);
    expect(copy.id).toBe('pin-0002');
    expect(memory.state.ids.issued).toBe(2);
    expect(copy).toMatchObject({ image: { source: 'url', url: TEA_URL }, title: 'Morning tea', description: 'Steam 🍵', link: 'https://mira.example.test/tea' });
    expect(stored(memory, copy.id).content).toEqual(stored(memory, source.id).content);
    expect(memory.state.media.calls).toEqual([]);
    expect(everything(memory)).toMatchObject({ refs: {}, objects: [] });
    await expect(pinMedia(memory.deps, copy.id)).rejects.toThrow(`its image is the URL ${TEA_URL}`);
  });

  /** The source in `status` as the feature that leads there leaves it, with what goes with that status. */
  async function sourceIn(memory: Memory, status: PinStatus): Promise<PinRecord> {
    const created = await createDraft(memory.deps, draft({ image: bytes('a'), sectionId: SECTIONS.PLAIN_1, description: 'Quiet <&> 🍵', assetLabel: 'batch 7', dominantColor: '#6E7874' }));
    const at = tick(memory);
    const published = { pinterestPinId: '813744478189383', boardId: BOARDS.PLAIN, httpStatus: 201, publishedAt: at, url: 'https://www.pinterest.com/pin/813744478189383/' };
    const failure = { kind: 'pinterest_refused', message: 'Pinterest refused the Pin', retryable: false, at };
    const attempt = { attemptId: 'attempt-1', startedAt: at, leaseUntil: at };
    switch (status) {
      case 'draft':
        return stored(memory, created.id);
      case 'approved':
        await approveDraft(memory.deps, created.id, 1);
        return stored(memory, created.id);
      case 'rejected':
        await rejectDraft(memory.deps, created.id, 1, 'Wrong season');
        return stored(memory, created.id);
      case 'publishing':
        return forceStatus(memory, created.id, status, { attempt });
      case 'published':
      case 'missing_on_pinterest':
        return forceStatus(memory, created.id, status, { published });
      case 'failed':
        return forceStatus(memory, created.id, status, { failure });
      case 'needs_reconcile':
        return forceStatus(memory, created.id, status, { unknownOutcome: { reason: 'timed out', at, attemptId: 'attempt-1', attemptStartedAt: at } });
    }
  }

  it.each(pinStatuses)('copies a %s record into a new version-1 draft with copiedFrom and one "copy" history entry; the source is unchanged', async (status) => {
    const memory = memoryPinDeps();
    const source = await sourceIn(memory, status);
    const sourceBefore = stored(memory, source.pinId);
    const at = tick(memory);
    const view = await copyPin(memory.deps, source.pinId);
    const entry = { action: 'copy', from: null, to: 'draft', at, by: 'operator', version: 1, reason: `copied from ${source.pinId}` };
    const media = source.content.media as PinMedia & { kind: 'stored' };
    // Exactly these attributes: no approval, rejection, attempt, outcome or failure of the source.
    expect(stored(memory, view.id)).toEqual({
      pinId: view.id,
      environment: ENV,
      accountId: ACCOUNT,
      status: 'draft',
      version: 1,
      assetLabel: 'batch 7',
      content: { ...source.content, media: { ...media, ref: `${view.id}:pin-0004` } },
      copiedFrom: source.pinId,
      history: [entry],
      createdAt: at,
      updatedAt: at,
    });
    // The source took two ids (its own and its reference's), the copy the next two.
    expect(view.id).toBe('pin-0003');
    expect(view).toMatchObject({
      status: 'draft',
      version: 1,
      copiedFrom: source.pinId,
      approval: null,
      rejection: null,
      published: null,
      failure: null,
      unknownOutcome: null,
      attempt: null,
      history: [entry],
      historyDropped: 0,
      sectionId: SECTIONS.PLAIN_1,
      description: 'Quiet <&> 🍵',
      assetLabel: 'batch 7',
      boardMissing: false,
    });
    expect(view.id).not.toBe(source.pinId);
    expect(stored(memory, source.pinId)).toEqual(sourceBefore);
    expectImagesFollowRecords(memory);
    // The copy goes through review like any draft.
    expect((await approveDraft(memory.deps, view.id, 1)).approval).toMatchObject({ contentHash: contentHash(ENV, stored(memory, view.id).content), holds: true });
  });

  it('a copy of a copy names its own source; a copy whose board left the snapshot shows board_missing', async () => {
    const memory = memoryPinDeps();
    const source = await createDraft(memory.deps, draft({ boardId: BOARDS.OTHER, image: bytes('a') }));
    const copy = await copyPin(memory.deps, source.id);
    const again = await copyPin(memory.deps, copy.id);
    expect([copy.copiedFrom, again.copiedFrom]).toEqual([source.id, copy.id]);
    expect(again.history).toEqual([expect.objectContaining({ action: 'copy', reason: `copied from ${copy.id}` })]);
    expect(memory.state.media.holdersOf(ENV, ACCOUNT, sha256Of(imageBytes('a')))).toEqual([source.id, copy.id, again.id].sort());
    memory.state.boards.removeBoard(ENV, BOARDS.OTHER);
    expect(await copyPin(memory.deps, source.id)).toMatchObject({ status: 'draft', boardMissing: true, flags: ['board_missing'] });
    expectImagesFollowRecords(memory);
  });

  it('answers 404 for an unknown record, taking nothing', async () => {
    const memory = memoryPinDeps();
    const error = await rejectionOf(copyPin(memory.deps, 'pin-0404'), NotFoundError);
    expect(statusFor(error.code)).toBe(404);
    expect(everything(memory)).toEqual({ records: [], refs: {}, objects: [] });
    expect(memory.state.media.calls).toEqual([]);
  });

  it('refuses (409) when the source is deleted between the copy\'s read and its reference: the bytes are gone, nothing is kept', async () => {
    const memory = memoryPinDeps();
    const source = await createDraft(memory.deps, draft({ image: bytes('a') }));
    const media = memory.state.media;
    let deletion: Promise<unknown> | undefined;
    // The copy has read the source; before it takes its reference, the source is deleted (and its bytes with it).
    const deps: PinDeps = {
      ...memory.deps,
      media: {
        hold: (...args) => media.hold(...args),
        release: (...args) => media.release(...args),
        read: (key) => media.read(key),
        share: async (...args) => {
          deletion ??= deleteDraft(memory.deps, source.id, 1);
          await deletion;
          return media.share(...args);
        },
      },
    };
    const error = await rejectionOf(copyPin(deps, source.id), ConflictError);
    expect(statusFor(error.code)).toBe(409);
    expect(error.message).toContain(`The stored image of Pin ${source.id} is gone`);
    expect(error.details).toEqual({ currentState: 'draft' });
    expect(await deletion).toEqual({ id: source.id, deleted: true });
    expect(everything(memory)).toEqual({ records: [], refs: {}, objects: [] });
    // It took its reference, found no bytes, and let go of it again.
    expect(media.calls.map((call) => [call.op, call.ref, call.present])).toEqual([
      ['hold', 'pin-0001:pin-0002', undefined],
      ['release', 'pin-0001:pin-0002', undefined],
      ['share', 'pin-0003:pin-0004', false],
      ['release', 'pin-0003:pin-0004', undefined],
    ]);
  });

  it('lets go of its reference, keeping the source\'s, when the new record cannot be written', async () => {
    const memory = memoryPinDeps();
    const source = await createDraft(memory.deps, draft({ image: bytes('a') }));
    const before = everything(memory);
    memory.state.pins.failNext('create');
    await expect(copyPin(memory.deps, source.id)).rejects.toThrow('simulated DynamoDB failure');
    expect(everything(memory)).toEqual(before);
    expect(memory.state.media.refsOf(ENV, ACCOUNT, sha256Of(imageBytes('a')))).toEqual([refOf(memory, source.id)]);
    expect((await pinMedia(memory.deps, source.id)).body).toEqual(imageBytes('a'));
  });

  it('a new image on the copy (or on the source) lets go of that record\'s reference only', async () => {
    const memory = memoryPinDeps();
    const shaA = sha256Of(imageBytes('a'));
    const source = await createDraft(memory.deps, draft({ image: bytes('a') }));
    const copy = await copyPin(memory.deps, source.id);
    await editDraft(memory.deps, copy.id, { version: 1, image: bytes('b') });
    expect(memory.state.media.refsOf(ENV, ACCOUNT, shaA)).toEqual([refOf(memory, source.id)]);
    expect((await pinMedia(memory.deps, source.id)).body).toEqual(imageBytes('a'));
    expect((await pinMedia(memory.deps, copy.id)).body).toEqual(imageBytes('b'));
    expectImagesFollowRecords(memory);

    const second = await copyPin(memory.deps, source.id);
    await editDraft(memory.deps, source.id, { version: 1, image: { kind: 'url', url: TEA_URL } });
    expect(memory.state.media.refsOf(ENV, ACCOUNT, shaA)).toEqual([refOf(memory, second.id)]);
    expect((await pinMedia(memory.deps, second.id)).body).toEqual(imageBytes('a'));
    expectImagesFollowRecords(memory);
  });

  it('a copy racing the deletion of its source (40 interleavings): the copy holds the bytes, or is refused and nothing is left', async () => {
    const outcomes = new Map<string, number>();
    for (let seed = 1; seed <= 40; seed += 1) {
      const random = prng(seed);
      const memory = memoryPinDeps({ jitter: () => Math.floor(random() * 4) });
      const source = await createDraft(memory.deps, draft({ image: bytes('raced') }));
      // The copy starts a random number of turns after the deletion: before it reads, between its steps, or after it.
      const head = Math.floor(random() * 16);
      const copying = (async () => {
        for (let turn = 0; turn < head; turn += 1) await Promise.resolve();
        return copyPin(memory.deps, source.id);
      })();
      const [deleted, copied] = await Promise.allSettled([deleteDraft(memory.deps, source.id, 1), copying]);
      expect(deleted.status).toBe('fulfilled');
      if (copied.status === 'fulfilled') {
        outcomes.set('copied', (outcomes.get('copied') ?? 0) + 1);
        expect(memory.state.pins.all().map((record) => record.pinId)).toEqual([copied.value.id]);
        expect((await pinMedia(memory.deps, copied.value.id)).body).toEqual(imageBytes('raced'));
      } else {
        const reason = copied.reason as unknown;
        expect([NotFoundError, ConflictError].some((type) => reason instanceof type)).toBe(true);
        outcomes.set(reason instanceof NotFoundError ? 'not found' : 'gone', (outcomes.get(reason instanceof NotFoundError ? 'not found' : 'gone') ?? 0) + 1);
        expect(everything(memory)).toEqual({ records: [], refs: {}, objects: [] });
      }
      expectImagesFollowRecords(memory);
    }
    // Both kinds of outcome happened: the race was a race (the narrow "gone" window is pinned down above).
    expect(outcomes.get('copied') ?? 0).toBeGreaterThan(0);
    expect((outcomes.get('not found') ?? 0) + (outcomes.get('gone') ?? 0)).toBeGreaterThan(0);
  });
});

describe('concurrency', () => {
  it('two racing edits setting the same new image leave the winner with its bytes', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ image: bytes('old') }));
    const results = await Promise.allSettled([
      editDraft(memory.deps, created.id, { version: 1, image: bytes('new') }),
      editDraft(memory.deps, created.id, { version: 1, image: bytes('new') }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = results.find((result) => result.status === 'rejected');
    expect(loser?.status === 'rejected' ? loser.reason : undefined).toBeInstanceOf(ConflictError);
    const record = stored(memory, created.id);
    expect(record.content.media).toMatchObject({ kind: 'stored', sha256: sha256Of(imageBytes('new')) });
    expect((await pinMedia(memory.deps, created.id)).body).toEqual(imageBytes('new'));
    expect(memory.state.media.refsOf(ENV, ACCOUNT, sha256Of(imageBytes('new')))).toEqual([refOf(memory, created.id)]);
    expect(memory.state.media.holdersOf(ENV, ACCOUNT, sha256Of(imageBytes('new')))).toEqual([created.id]);
    expect(memory.state.media.refsOf(ENV, ACCOUNT, sha256Of(imageBytes('old')))).toEqual([]);
    expectImagesFollowRecords(memory);
  });

  it('three racing edits setting the same new image, under 30 random interleavings: one wins, its bytes stay, no reference leaks', async () => {
    for (let seed = 1; seed <= 30; seed += 1) {
      const random = prng(seed);
      const memory = memoryPinDeps({ jitter: () => Math.floor(random() * 5) });
      const created = await createDraft(memory.deps, draft({ image: bytes('old') }));
      // One of them sends the old image again: whoever wins, the record's own reference is the one kept.
      const images = [bytes('new'), bytes('new'), random() < 0.5 ? bytes('new') : bytes('old')];
      const results = await Promise.allSettled(images.map((image) => editDraft(memory.deps, created.id, { version: 1, image })));
      expect([seed, results.filter((result) => result.status === 'fulfilled').length]).toEqual([seed, 1]);
      const media = stored(memory, created.id).content.media as PinMedia & { kind: 'stored' };
      expect((await pinMedia(memory.deps, created.id)).body).toEqual(memory.state.media.bytesOf(media.key));
      expect(memory.state.media.refsOf(ENV, ACCOUNT, media.sha256)).toEqual([media.ref]);
      expectImagesFollowRecords(memory);
    }
  });

  it('two racing edits with different new images: one wins, the loser lets go of its image', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ image: bytes('old') }));
    const results = await Promise.allSettled([
      editDraft(memory.deps, created.id, { version: 1, image: bytes('one') }),
      editDraft(memory.deps, created.id, { version: 1, image: bytes('two') }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = results.find((result) => result.status === 'rejected');
    expect(loser?.status === 'rejected' ? loser.reason : undefined).toBeInstanceOf(ConflictError);
    const record = stored(memory, created.id);
    const sha = record.content.media.kind === 'stored' ? record.content.media.sha256 : '';
    expect([sha256Of(imageBytes('one')), sha256Of(imageBytes('two'))]).toContain(sha);
    expect(memory.state.media.allRefs()).toEqual({ [`sandbox#${ACCOUNT}#${sha}`]: [refOf(memory, created.id)] });
    expect(memory.state.media.objectKeys()).toEqual([mediaKey(ENV, ACCOUNT, sha)]);
  });

  it('an edit racing a delete: exactly one wins and the images follow the surviving record', async () => {
    const memory = memoryPinDeps();
    const created = await createDraft(memory.deps, draft({ image: bytes('old') }));
    const results = await Promise.allSettled([deleteDraft(memory.deps, created.id, 1), editDraft(memory.deps, created.id, { version: 1, image: bytes('new') })]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const record = memory.state.pins.record(created.id);
    if (record === undefined) {
      expect(memory.state.media.objectKeys()).toEqual([]);
    } else {
      expect(record.content.media).toMatchObject({ sha256: sha256Of(imageBytes('new')) });
      expect(memory.state.media.objectKeys()).toEqual([mediaKey(ENV, ACCOUNT, sha256Of(imageBytes('new')))]);
    }
    expectImagesFollowRecords(memory);
  });
});
