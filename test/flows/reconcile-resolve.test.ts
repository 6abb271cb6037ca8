// Before any wiring of this file reads the settings: this file publishes many times in a row.
process.env.PUBLISH_MIN_GAP_SECONDS = '0';

import { randomUUID } from 'node:crypto';
import type { PinRecord } from '../../shared/domain/pins';
import { ConflictError } from '../../shared/domain/errors';
import type { PinStorePort } from '../../shared/use-cases/pin-ports';
import { resolvePin } from '../../shared/use-cases/reconcile';
import { resetBoardFlow, setUpBoardFlow } from '../support/board-flow';
import { approvePin, createPin, errorOf, patchPin, readPin, sandboxBoard, type PinJson } from '../support/pin-flow';
import { approvedDraft, pinCreates, published, storedRecord } from '../support/publish-flow';
import { calls, clearRecords, holderItem, pinAtPinterest, reconcileDepsWith, requestsDuring, resolve, resolved, type ReconcileJson } from '../support/reconcile-flow';

/**
 * POST /pins/{id}/resolve through the real handler: the operator settles a needs_reconcile record with
 * a Pin checked at Pinterest (`GET /v5/pins/{id}`: on the record's board, held by no other record) or
 * sends it back to approved. Every refusal leaves the record and the holder index as they were.
 */

const flow = setUpBoardFlow('reconcile-resolve');
let boardId: string;

beforeEach(async () => {
  await resetBoardFlow(flow, ['sandbox']);
  await clearRecords(flow);
  boardId = (await sandboxBoard('Resolve')).id;
});

const content = { title: 'Bamboo fountain', description: 'The sound of water.' };
const draft = (title = content.title) => approvedDraft({ environment: 'sandbox', boardId, ...content, title, imageUrl: 'https://images.example.com/bamboo.jpg' });

/** A needs_reconcile record whose attempt reached nothing (the connection dropped before processing). */
async function waiting(title?: string): Promise<ReconcileJson> {
  const pin = await draft(title);
  flow.emulator.controls.injectFault({ kind: 'drop_connection', host: 'sandbox', method: 'POST', path: '/v5/pins' });
  const answer = await published(pin.id);
  expect(answer.outcome).toBe('needs_reconcile');
  return answer.pin as ReconcileJson;
}

/** A refused resolve: the status, the error, what was asked of Pinterest; the record unchanged. */
async function expectRefused(id: string, body: unknown, status: number): Promise<{ error: ReturnType<typeof errorOf>; sent: string[] }> {
  const before = await storedRecord(flow, id).catch(() => undefined);
  const { result, requests } = await requestsDuring(flow, () => resolve(id, body));
  expect({ body, status: result.statusCode }).toEqual({ body, status });
  if (before !== undefined) expect(await storedRecord(flow, id)).toEqual(before);
  return { error: errorOf(result), sent: calls(requests) };
}

describe('settled by the operator', () => {
  it('published with a Pin on its board: verified with GET /v5/pins/{id}, held by the record, recorded as the operator’s decision', async () => {
    const pin = await waiting();
    const found = await pinAtPinterest(flow, 'sandbox', { boardId, ...content });
    const { result, requests } = await requestsDuring(flow, () => resolve(pin.id, { outcome: 'published', pinterestPinId: found.id, version: pin.version }));
    expect(result.statusCode).toBe(200);
    const settled = result.json() as ReconcileJson;
    expect(settled).toMatchObject({
      status: 'published',
      version: pin.version + 1,
      published: { pinterestPinId: found.id, boardId, createdAt: found.created_at, httpStatus: 200, url: `https://www.pinterest.com/pin/${found.id}/` },
      unknownOutcome: null,
      scan: null,
    });
    expect(settled.published?.requestId).toBe(requests.at(-1)?.rid);
    expect(settled.history?.at(-1)).toMatchObject({ action: 'resolve', from: 'needs_reconcile', to: 'published', by: 'operator' });
    expect(settled.history?.at(-1)?.reason).toContain(found.id);
    expect(calls(requests)).toEqual([`GET /v5/pins/${found.id}`]);
    expect(await holderItem(flow, 'sandbox', found.id)).toBe(pin.id);
    expect(await readPin(pin.id)).toEqual(settled);
  });

  it('approved: back to approved without asking Pinterest; publishing again creates exactly one Pin', async () => {
    const pin = await waiting();
    const { result, requests } = await requestsDuring(flow, () => resolved(pin.id, { outcome: 'approved' }));
    expect(result).toMatchObject({ status: 'approved', version: pin.version + 1, unknownOutcome: null, approval: { holds: true } });
    expect(result.history?.at(-1)).toMatchObject({ action: 'resolve', from: 'needs_reconcile', to: 'approved', by: 'operator' });
    expect(result.history?.at(-1)?.reason).toContain('second Pin');
    expect(calls(requests)).toEqual([]);
    const before = pinCreates(flow).length;
    expect((await published(pin.id)).outcome).toBe('published');
    expect(pinCreates(flow).length - before).toBe(1);
  });
});

describe('refused', () => {
  it('a Pin on another board: 409, nothing claimed', async () => {
    const pin = await waiting();
    const elsewhere = (await sandboxBoard('Elsewhere')).id;
    const other = await pinAtPinterest(flow, 'sandbox', { boardId: elsewhere, ...content });
    const { error, sent } = await expectRefused(pin.id, { outcome: 'published', pinterestPinId: other.id }, 409);
    expect(error).toMatchObject({ code: 'conflict', currentState: 'needs_reconcile' });
    expect(error.message).toContain(`on board ${elsewhere}`);
    expect(sent).toEqual([`GET /v5/pins/${other.id}`]);
    expect(await holderItem(flow, 'sandbox', other.id)).toBeUndefined();
  });

  it('a Pin another record holds: 409 naming that record; the holder stays', async () => {
    const pin = await waiting();
    const owner = await published((await draft()).id);
    const held = owner.pin.published?.pinterestPinId ?? '';
    const { error, sent } = await expectRefused(pin.id, { outcome: 'published', pinterestPinId: held }, 409);
    expect(error).toMatchObject({ code: 'conflict', currentState: 'needs_reconcile' });
    expect(error.message).toContain(owner.pin.id);
    expect(sent).toEqual([`GET /v5/pins/${held}`]);
    expect(await holderItem(flow, 'sandbox', held)).toBe(owner.pin.id);
  });

  it('a Pin Pinterest does not know: 404', async () => {
    const pin = await waiting();
    const { error, sent } = await expectRefused(pin.id, { outcome: 'published', pinterestPinId: '499999999999999999' }, 404);
    expect(error.message).toContain('has no Pin 499999999999999999');
    expect(sent).toEqual(['GET /v5/pins/499999999999999999']);
    // A Pin deleted at Pinterest since is unknown too.
    const gone = await pinAtPinterest(flow, 'sandbox', { boardId, ...content });
    flow.emulator.controls.deletePin('sandbox', gone.id);
    await expectRefused(pin.id, { outcome: 'published', pinterestPinId: gone.id }, 404);
  });

  it('a record that is not needs_reconcile (draft, approved, published, failed): 409 with its state, nothing asked of Pinterest; an unknown record: 404', async () => {
    const draftOnly = await createPin({ environment: 'sandbox', boardId, title: 'Draft', imageUrl: 'https://images.example.com/d.jpg' });
    const approved = await draft('Approved');
    const done = await published((await draft('Done')).id);
    const failed = await draft('Failed');
    flow.emulator.controls.injectFault({ kind: 'rate_limit', host: 'sandbox', method: 'POST', path: '/v5/pins' });
    expect((await published(failed.id)).outcome).toBe('failed');
    const found = await pinAtPinterest(flow, 'sandbox', { boardId, ...content });

    const cases: Array<[PinJson | ReconcileJson, string]> = [
      [draftOnly, 'draft'],
      [approved, 'approved'],
      [done.pin, 'published'],
      [failed, 'failed'],
    ];
    for (const [pin, state] of cases) {
      for (const body of [{ outcome: 'approved' }, { outcome: 'published', pinterestPinId: found.id }]) {
        const { error, sent } = await expectRefused(pin.id, body, 409);
        expect(error).toMatchObject({ code: 'conflict', currentState: state });
        expect(error.message).toContain('Only a needs_reconcile record is resolved');
        expect(sent).toEqual([]);
      }
    }
    expect(await holderItem(flow, 'sandbox', found.id)).toBeUndefined();
    const unknown = await expectRefused(randomUUID(), { outcome: 'approved' }, 404);
    expect(unknown.sent).toEqual([]);
  });

  it('a stale version: 409 with the record as it is now, nothing asked of Pinterest', async () => {
    const pin = await waiting();
    const found = await pinAtPinterest(flow, 'sandbox', { boardId, ...content });
    const { error, sent } = await expectRefused(pin.id, { outcome: 'published', pinterestPinId: found.id, version: pin.version - 1 }, 409);
    expect(error.message).toContain(`is at version ${String(pin.version)}`);
    expect(error.current).toMatchObject({ id: pin.id, status: 'needs_reconcile', version: pin.version });
    expect(sent).toEqual([]);
    expect(await holderItem(flow, 'sandbox', found.id)).toBeUndefined();
  });

  const badBodies: Array<[string, unknown]> = [
    ['no body', undefined],
    ['not JSON', '{"outcome":'],
    ['a JSON array', '[]'],
    ['no outcome', {}],
    ['an unknown outcome', { outcome: 'failed' }],
    ['published without a Pin id', { outcome: 'published' }],
    ['a Pin id that is not digits', { outcome: 'published', pinterestPinId: '12ab' }],
    ['an empty Pin id', { outcome: 'published', pinterestPinId: '' }],
    ['a Pin id as a number', { outcome: 'published', pinterestPinId: 123456 }],
    ['a Pin id of 31 digits', { outcome: 'published', pinterestPinId: '1'.repeat(31) }],
    ['approved with a Pin id', { outcome: 'approved', pinterestPinId: '123' }],
    ['an unknown field', { outcome: 'approved', note: 'hi' }],
    ['version 0', { outcome: 'approved', version: 0 }],
    ['a fractional version', { outcome: 'approved', version: 1.5 }],
    ['a version as text', { outcome: 'approved', version: '3' }],
  ];

  it('bad bodies (none, not JSON, missing, unknown or extra fields, bad Pin ids and versions): 400 each, nothing changed, nothing asked of Pinterest', async () => {
    const pin = await waiting();
    for (const [name, body] of badBodies) {
      const { error, sent } = await expectRefused(pin.id, body, 400);
      expect({ name, code: error.code, sent }).toEqual({ name, code: name === 'not JSON' ? 'invalid_json' : 'validation_failed', sent: [] });
    }
    expect(await readPin(pin.id)).toMatchObject({ status: 'needs_reconcile', version: pin.version });
  });

  it('a malformed record id in the path: 400', async () => {
    const { sent } = await expectRefused('not-a-uuid', { outcome: 'approved' }, 400);
    expect(sent).toEqual([]);
  });
});

describe('one Pin, one record', () => {
  it('a resolve that loses to a concurrent change leaves no claim behind: the other Pin stays free for its own record', async () => {
    const a = await waiting('Same');
    const b = await waiting('Same');
    const one = await pinAtPinterest(flow, 'sandbox', { boardId, ...content, title: 'Same' });
    const two = await pinAtPinterest(flow, 'sandbox', { boardId, ...content, title: 'Same' });
    const deps = reconcileDepsWith();
    const seen = await storedRecord(flow, a.id);

    // The winner: a resolved with Pin one.
    expect(await resolved(a.id, { outcome: 'published', pinterestPinId: one.id })).toMatchObject({ status: 'published', published: { pinterestPinId: one.id } });
    // The loser, which had read `a` before: a with Pin two.
    const real = deps.pins;
    const stale: PinStorePort = {
      create: (record) => real.create(record),
      get: (id): Promise<PinRecord | undefined> => (id === a.id ? Promise.resolve(seen) : real.get(id)),
      list: (env, status, options) => real.list(env, status, options),
      remove: (record) => real.remove(record),
      replace: (current, next) => real.replace(current, next),
    };
    await expect(resolvePin({ ...deps, pins: stale }, a.id, { outcome: 'published', pinterestPinId: two.id })).rejects.toBeInstanceOf(ConflictError);
    expect(await readPin(a.id)).toMatchObject({ status: 'published', published: { pinterestPinId: one.id } });

    // Pin two is b's: nothing else may hold it.
    expect(await holderItem(flow, 'sandbox', two.id)).toBeUndefined();
    expect((await resolve(b.id, { outcome: 'published', pinterestPinId: two.id })).statusCode).toBe(200);
  });

  it('after a resolve back to approved the ordinary review path is open: edit (back to draft), approve again', async () => {
    const pin = await waiting();
    const back = await resolved(pin.id, { outcome: 'approved' });
    // Edit (back to draft) and approve again: the ordinary review path is open.
    const edited = await patchPin(pin.id, { version: back.version, title: 'Bamboo fountain, edited' });
    expect(edited.statusCode).toBe(200);
    expect(((await approvePin(pin.id, back.version + 1)).json() as PinJson).status).toBe('approved');
  });
});
