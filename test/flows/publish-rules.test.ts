// Before any wiring of this file reads the settings: this file publishes many times in a row.
process.env.PUBLISH_MIN_GAP_SECONDS = '0';

import { SEED } from '../../local/emulators/pinterest';
import { markReauthorizationRequired } from '../../shared/use-cases/token-refresh';
import { pinWebUrl } from '../../shared/domain/pinterest';
import { resetBoardFlow, setUpBoardFlow, syncAndWait } from '../support/board-flow';
import { callFunction } from '../support/http';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { clients, names } from '../support/aws';
import { accountIdOf, approvePin, createPin, errorOf, getPin, readPin, rejectPin, sandboxBoard, sha256, storedKey, type PinJson } from '../support/pin-flow';
import {
  approvedDraft,
  bodyOf,
  check,
  copy,
  lastSteps,
  pinAtEmulator,
  pinCreates,
  pinsAtEmulator,
  publish,
  publishEntries,
  published,
  storedRecord,
  tinyJpeg,
  tinyPng,
  updateBehindTheApi,
  type RecordJson,
} from '../support/publish-flow';

/**
 * The rules of POST /pins/{id}/publish through the real handlers against dynalite, s3rver and the
 * Pinterest emulator: what is refused before anything is sent (a content that drifted from its
 * approval, a record that is not approved, a Trial app in production, an account that cannot be used,
 * a board that left the snapshot), what is sent (the approved content; stored images as base64 with
 * their exact bytes, URLs as URLs), what a success records, and checking and copying published Pins.
 */

const flow = setUpBoardFlow('publish-rules');
let boardId: string;

beforeEach(async () => {
  await resetBoardFlow(flow, ['sandbox']);
  boardId = (await sandboxBoard('Rules')).id;
});

const IMAGE_URL = 'https://images.example.com/tea.jpg';
const draftBody = (extra: Record<string, unknown> = {}) => ({ environment: 'sandbox', boardId, title: 'Morning tea ritual', imageUrl: IMAGE_URL, ...extra });

/** A refusal: the status, the error's currentState, and nothing sent or changed. */
async function expectRefused(id: string, status: number, currentState: string | undefined): Promise<ReturnType<typeof errorOf>> {
  const before = await storedRecord(flow, id);
  const sent = pinCreates(flow).length;
  const res = await publish(id);
  expect(res.statusCode).toBe(status);
  const error = errorOf(res);
  if (currentState !== undefined) expect(error.currentState).toBe(currentState);
  expect(await storedRecord(flow, id)).toEqual(before);
  expect(pinCreates(flow)).toHaveLength(sent);
  expect(await publishEntries(flow, id)).toEqual([]);
  return error;
}

describe('refused before anything is sent', () => {
  it('content changed behind the API after the approval (one UpdateItem on the record): 409, the approval no longer covers it', async () => {
    const pin = await approvedDraft(draftBody());
    await updateBehindTheApi(flow, pin.id, 'SET content.title = :title', {}, { ':title': 'Evening tea ritual' });
    const error = await expectRefused(pin.id, 409, 'approved');
    expect(error).toMatchObject({ code: 'conflict', reason: 'approval_mismatch' });
    expect(error.message).toContain('no longer matches what was approved');
    expect(await readPin(pin.id)).toMatchObject({ status: 'approved', approval: { holds: false } });

    // The image changing under the approval is caught the same way.
    const other = await approvedDraft(draftBody());
    await updateBehindTheApi(flow, other.id, 'SET content.media.#url = :url', { '#url': 'url' }, { ':url': 'https://images.example.com/other.jpg' });
    await expectRefused(other.id, 409, 'approved');
  });

  it('a draft, a rejected record and an unknown id: 409 with where the record is, 404', async () => {
    const draft = await createPin(draftBody());
    const draftError = await expectRefused(draft.id, 409, 'draft');
    expect(draftError.message).toContain('approve it first');
    expect(draftError.current).toMatchObject({ id: draft.id, status: 'draft', version: 1 });

    const approved = await approvedDraft(draftBody());
    expect((await rejectPin(approved.id, approved.version, 'Off-brand')).statusCode).toBe(200);
    expect((await expectRefused(approved.id, 409, 'rejected')).message).toContain('rejected');

    expect((await publish('0b8a9c2e-1111-4c7d-9e3f-000000000000')).statusCode).toBe(404);
    expect(pinCreates(flow)).toHaveLength(0);
  });

  it('a published record: 409 naming the Pinterest Pin, and nothing is sent again', async () => {
    const pin = await approvedDraft(draftBody());
    const first = await published(pin.id);
    const error = await expectRefusedAfterPublish(pin.id);
    expect(error.message).toContain(first.pin.published?.pinterestPinId ?? '?');
  });

  async function expectRefusedAfterPublish(id: string) {
    const before = await storedRecord(flow, id);
    const res = await publish(id);
    expect(res.statusCode).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'conflict', currentState: 'published', current: { status: 'published' } });
    expect(await storedRecord(flow, id)).toEqual(before);
    expect(pinCreates(flow)).toHaveLength(1);
    return errorOf(res);
  }

  it('Trial access (the default PINTEREST_ACCESS_TIER) refuses production with a 409, before anything is sent', async () => {
    await resetBoardFlow(flow, ['sandbox', 'production']);
    const board = SEED.known.thirdBoard;
    await flow.deps.boards.putBoard({ environment: 'production', boardId: board.id, name: board.name, privacy: 'PUBLIC', ownerUsername: 'miradigitalzen', collaboratorCount: 0, group: false, syncedAt: new Date().toISOString() });
    const pin = await approvedDraft({ environment: 'production', boardId: board.id, title: 'Zen', imageUrl: IMAGE_URL });
    flow.emulator.controls.setTier('standard'); // even were Pinterest to allow it
    const error = await expectRefused(pin.id, 409, 'trial_access');
    expect(error.message).toContain('PINTEREST_ACCESS_TIER=standard');
    expect(pinCreates(flow, 'production')).toHaveLength(0);
  });

  it('an account that needs a new connection (reauthorization_required): 409', async () => {
    const pin = await approvedDraft(draftBody());
    const account = await flow.deps.tokens.accounts.get('sandbox');
    if (account === undefined) throw new Error('no sandbox account');
    await markReauthorizationRequired(flow.deps.tokens, account, 'test: grant gone');
    const error = await expectRefused(pin.id, 409, 'reauthorization_required');
    expect(error.message).toContain('POST /oauth/start');
  });

  it('a disconnected account: 409 (currentState disconnected)', async () => {
    const pin = await approvedDraft(draftBody());
    const res = await callFunction('disconnectAccount', { method: 'POST', url: '/account/disconnect', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ environment: 'sandbox' }) });
    expect(res.statusCode).toBe(200);
    await flow.server().background.idle();
    const error = await expectRefused(pin.id, 409, 'disconnected');
    expect(error.message).toContain('sandbox account is disconnected');
  });

  it('a board that left the snapshot (board_missing): 409', async () => {
    const pin = await approvedDraft(draftBody());
    flow.emulator.controls.deleteBoard('sandbox', boardId);
    expect((await syncAndWait(flow, 'sandbox')).status).toBe('succeeded');
    expect(await readPin(pin.id)).toMatchObject({ status: 'approved', boardMissing: true });
    const error = await expectRefused(pin.id, 409, 'board_missing');
    expect(error.message).toContain(boardId);
  });
});

describe('what is sent, and what a success records', () => {
  it('a stored PNG goes as image_base64 with its exact bytes; the approved text fields go as PinCreate fields', async () => {
    const png = tinyPng(7, 5);
    const pin = await approvedDraft(
      draftBody({ imageUrl: undefined, imageBase64: png.toString('base64'), imageContentType: 'image/png', description: 'Five quiet minutes', link: 'https://miradigitalzen.example/tea', altText: 'A cup of green tea', dominantColor: '#6e8b3d' }),
    );
    const answer = await published(pin.id);
    expect(answer.outcome).toBe('published');
    const [sent, ...more] = pinCreates(flow);
    expect(more).toEqual([]);
    const body = bodyOf(sent);
    expect(body).toEqual({
      board_id: boardId,
      title: 'Morning tea ritual',
      description: 'Five quiet minutes',
      link: 'https://miradigitalzen.example/tea',
      alt_text: 'A cup of green tea',
      dominant_color: '#6e8b3d',
      media_source: { source_type: 'image_base64', content_type: 'image/png', data: png.toString('base64') },
    });
    const bytes = Buffer.from((body.media_source as { data: string }).data, 'base64');
    expect(sha256(bytes)).toBe(sha256(png));
    expect(sent?.headers['content-type']).toBe('application/json');
    // The emulator read the image's own size from the bytes (7×5, scaled to 600 wide).
    const atPinterest = await pinAtEmulator(flow, 'sandbox', answer.pin.published?.pinterestPinId ?? '');
    expect(atPinterest.status).toBe(200);
    expect((atPinterest.body.media as { images: Record<string, { width: number; height: number }> }).images['600x']).toMatchObject({ width: 600, height: 429 });
  });

  it('a stored JPEG goes as image/jpeg; an image URL as image_url with the URL as approved', async () => {
    const jpeg = tinyJpeg(8, 12);
    const a = await approvedDraft(draftBody({ imageUrl: undefined, imageBase64: jpeg.toString('base64'), imageContentType: 'image/jpeg' }));
    const b = await approvedDraft(draftBody({ imageUrl: 'https://images.example.com/tea%20cup.jpg?w=1000' }));
    expect((await published(a.id)).outcome).toBe('published');
    expect((await published(b.id)).outcome).toBe('published');
    const [first, second] = pinCreates(flow).map(bodyOf);
    expect(first?.media_source).toEqual({ source_type: 'image_base64', content_type: 'image/jpeg', data: jpeg.toString('base64') });
    expect(second?.media_source).toEqual({ source_type: 'image_url', url: 'https://images.example.com/tea%20cup.jpg?w=1000' });
    expect(second).not.toHaveProperty('board_section_id');
  });

  it('success records the Pinterest id, board, created_at, HTTP 201 and x-pinterest-rid; GET /pins/{id} shows it; the security log has it', async () => {
    const pin = await approvedDraft(draftBody());
    const started = Date.now();
    const res = await publish(pin.id);
    expect(res.statusCode).toBe(200);
    expect(res.headers['retry-after']).toBeUndefined();
    const answer = res.json() as { outcome: string; pin: RecordJson };
    const [sent] = pinCreates(flow);
    const [atPinterest] = await pinsAtEmulator(flow, 'sandbox', boardId);
    expect(atPinterest).toBeDefined();
    const id = atPinterest?.id ?? '';
    expect(answer.pin.published).toEqual({
      pinterestPinId: id,
      boardId,
      createdAt: atPinterest?.created_at,
      httpStatus: 201,
      requestId: sent?.rid,
      publishedAt: expect.any(String) as unknown,
      url: pinWebUrl(id),
    });
    expect(Date.parse(answer.pin.published?.publishedAt ?? '')).toBeGreaterThanOrEqual(started - 1000);
    expect(answer.pin).toMatchObject({ status: 'published', version: pin.version + 2, failure: null, unknownOutcome: null, attempt: null, approval: { holds: true } });
    expect(lastSteps(answer.pin)).toEqual([
      ['publish', 'approved', 'publishing', 'operator'],
      ['outcome', 'publishing', 'published', 'system'],
    ]);
    const detail = (await getPin(pin.id)).json() as RecordJson;
    expect(detail).toEqual(answer.pin);
    const stored = await storedRecord(flow, pin.id);
    expect(stored.published).toEqual(answer.pin.published);
    expect(stored.attempt).toBeUndefined();
    const [entry, ...more] = await publishEntries(flow, pin.id);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      kind: 'pin_publish',
      outcome: 'ok',
      status: 201,
      rateLimit: { limited: false, remaining: expect.any(Number) as unknown },
      detail: { environment: 'sandbox', pin: pin.id, result: 'published', pinterestPinId: id, pinterestRequestId: sent?.rid, attempt: expect.any(String) as unknown },
    });
  });
});

describe('the stored image', () => {
  it('gone from the data bucket behind the API: failed media_unavailable (retryable), nothing sent', async () => {
    const png = tinyPng();
    const pin = await approvedDraft(draftBody({ imageUrl: undefined, imageBase64: png.toString('base64'), imageContentType: 'image/png' }));
    await clients.s3.send(new DeleteObjectCommand({ Bucket: names.bucket, Key: storedKey('sandbox', await accountIdOf(flow, 'sandbox'), png) }));
    const answer = await published(pin.id);
    expect(answer).toMatchObject({ outcome: 'failed', pin: { status: 'failed', failure: { kind: 'media_unavailable', retryable: true } } });
    expect(answer.pin.failure?.message).toContain('nothing was sent');
    expect(lastSteps(answer.pin)).toEqual([
      ['publish', 'approved', 'publishing', 'operator'],
      ['outcome', 'publishing', 'failed', 'system'],
    ]);
    expect(pinCreates(flow)).toHaveLength(0);
  });
});

describe('checking a published Pin', () => {
  async function publishedPin(): Promise<{ pin: PinJson; pinterestPinId: string }> {
    const pin = await approvedDraft(draftBody());
    const answer = await published(pin.id);
    return { pin, pinterestPinId: answer.pin.published?.pinterestPinId ?? '' };
  }

  it('still at Pinterest: stays published with published.lastCheckedAt, a check entry by the operator', async () => {
    const { pin, pinterestPinId } = await publishedPin();
    const before = await readPin(pin.id);
    const res = await check(pin.id);
    expect(res.statusCode).toBe(200);
    const view = res.json() as RecordJson;
    expect(view).toMatchObject({ status: 'published', version: before.version + 1, published: { pinterestPinId, boardId } });
    expect(Date.parse(view.published?.lastCheckedAt ?? '')).toBeGreaterThan(Date.now() - 10_000);
    expect(lastSteps(view, 1)).toEqual([['check', 'published', 'published', 'operator']]);
    const gets = flow.emulator.controls.requests().filter((r) => r.method === 'GET' && r.path === `/v5/pins/${pinterestPinId}`);
    expect(gets).toHaveLength(1);

    const again = (await check(pin.id)).json() as RecordJson;
    expect(again.published?.lastCheckedAt).not.toBe(undefined);
    expect(Date.parse(again.published?.lastCheckedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(view.published?.lastCheckedAt ?? ''));
  });

  it('deleted at Pinterest (its board removed there): missing_on_pinterest; publishing it again is a 409 that points to copy', async () => {
    const { pin, pinterestPinId } = await publishedPin();
    flow.emulator.controls.deleteBoard('sandbox', boardId);
    expect((await pinAtEmulator(flow, 'sandbox', pinterestPinId)).status).toBe(404);
    const res = await check(pin.id);
    expect(res.statusCode).toBe(200);
    const view = res.json() as RecordJson;
    expect(view).toMatchObject({ status: 'missing_on_pinterest', published: { pinterestPinId } });
    expect(view.published?.lastCheckedAt).toEqual(expect.any(String));
    expect(lastSteps(view, 1)).toEqual([['check', 'published', 'missing_on_pinterest', 'operator']]);
    expect(view.history?.at(-1)?.reason).toContain(pinterestPinId);
    const again = await publish(pin.id);
    expect(again.statusCode).toBe(409);
    expect(errorOf(again)).toMatchObject({ currentState: 'missing_on_pinterest' });
    expect(errorOf(again).message).toContain('/copy');
  });

  it('a record that is not published cannot be checked (409), and nothing is asked of Pinterest', async () => {
    const pin = await approvedDraft(draftBody());
    const res = await check(pin.id);
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).currentState).toBe('approved');
    expect(flow.emulator.controls.requests().filter((r) => r.path.startsWith('/v5/pins'))).toEqual([]);
  });
});

describe('copying', () => {
  it('a copy of a published Pin is a new draft that can be approved and published again: a second Pin, on purpose', async () => {
    const png = tinyPng();
    const pin = await approvedDraft(draftBody({ imageUrl: undefined, imageBase64: png.toString('base64'), imageContentType: 'image/png' }));
    const first = await published(pin.id);
    const res = await copy(pin.id);
    expect(res.statusCode).toBe(201);
    const draft = res.json() as RecordJson;
    expect(draft).toMatchObject({ status: 'draft', version: 1, copiedFrom: pin.id, boardId, title: 'Morning tea ritual', approval: null, published: null, image: { source: 'stored', sha256: sha256(png) } });
    expect(draft.id).not.toBe(pin.id);
    expect(lastSteps(draft, 5)).toEqual([['copy', null, 'draft', 'operator']]);
    // A draft is not publishable until approved.
    expect((await publish(draft.id)).statusCode).toBe(409);

    expect((await approvePin(draft.id, 1)).statusCode).toBe(200);
    const second = await published(draft.id);
    expect(second.outcome).toBe('published');
    expect(second.pin.published?.pinterestPinId).not.toBe(first.pin.published?.pinterestPinId);
    expect(pinCreates(flow)).toHaveLength(2);
    expect(bodyOf(pinCreates(flow)[1])).toEqual(bodyOf(pinCreates(flow)[0]));
    expect((await pinsAtEmulator(flow, 'sandbox', boardId)).map((p) => p.id).sort()).toEqual([first.pin.published?.pinterestPinId, second.pin.published?.pinterestPinId].sort());
    // The source is untouched.
    expect(await readPin(pin.id)).toMatchObject({ status: 'published', published: first.pin.published });
  });

  it('a copy of a failed (not retryable) Pin starts over: edit, approve, publish', async () => {
    const pin = await approvedDraft(draftBody({ imageUrl: 'https://images.example.invalid/tea.jpg' }));
    expect((await published(pin.id)).pin.failure).toMatchObject({ kind: 'image_unreachable', retryable: false });
    const draft = (await copy(pin.id)).json() as RecordJson;
    expect(draft).toMatchObject({ status: 'draft', copiedFrom: pin.id, failure: null, image: { source: 'url', url: 'https://images.example.invalid/tea.jpg' } });
    const edited = await callFunction('updatePin', { method: 'PATCH', url: `/pins/${draft.id}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 1, imageUrl: IMAGE_URL }), pathParameters: { id: draft.id } });
    expect(edited.statusCode).toBe(200);
    expect((await approvePin(draft.id, 2)).statusCode).toBe(200);
    expect((await published(draft.id)).pin).toMatchObject({ status: 'published' });
    expect(await pinsAtEmulator(flow, 'sandbox', boardId)).toHaveLength(1);
  });
});
