// Before any wiring of this file reads the settings: this file publishes many times in a row.
process.env.PUBLISH_MIN_GAP_SECONDS = '0';

import { resetBoardFlow, setUpBoardFlow } from '../support/board-flow';
import { readPin, sandboxBoard, type PinJson } from '../support/pin-flow';
import { approvedDraft, lastSteps, pinCreates, pinsAtEmulator, publish, published, storedRecord } from '../support/publish-flow';
import {
  calls,
  checked,
  clearRecords,
  droppedAfterCreate,
  holderItem,
  LEASE_MS,
  pinAtPinterest,
  publishAndDie,
  requestsDuring,
  resolve,
  resolved,
  runSchedule,
  sweepAt,
  type ReconcileJson,
} from '../support/reconcile-flow';

/**
 * Publish attempts whose outcome was lost, found out afterwards through the real handlers, the real
 * scheduled functions and the emulator: Pinterest created the Pin and the answer was lost
 * (`create_then_drop`), or the function died after its claim. Reconciliation settles a record only on
 * exactly one match; it reads Pinterest and never writes to it.
 */

const flow = setUpBoardFlow('reconcile-outcomes');
let boardId: string;

beforeEach(async () => {
  await resetBoardFlow(flow, ['sandbox']);
  await clearRecords(flow);
  boardId = (await sandboxBoard('Reconcile')).id;
});

const content = { title: 'Raked gravel at dusk', description: 'Five quiet minutes.', link: 'https://miradigitalzen.example/gravel', altText: 'Gravel raked in circles' };
const draft = (extra: Record<string, unknown> = {}) => approvedDraft({ environment: 'sandbox', boardId, ...content, imageUrl: 'https://images.example.com/gravel.jpg', ...extra });

/** Reconciliation only reads: every request it sent is a GET, and none creates a Pin. */
function expectOnlyReads(requests: ReturnType<typeof calls>): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const call of requests) expect(call).toMatch(/^GET /);
}

/** A record reconciled to the Pin the emulator created for it: published, the history entry by the system, the holder. */
async function expectReconciledTo(pin: ReconcileJson, pinterestPinId: string | undefined): Promise<void> {
  expect(pinterestPinId).toEqual(expect.any(String));
  expect(pin).toMatchObject({ status: 'published', published: { pinterestPinId, boardId, url: `https://www.pinterest.com/pin/${pinterestPinId ?? ''}/` }, unknownOutcome: null, scan: null, attempt: null });
  expect(pin.history?.at(-1)).toMatchObject({ action: 'reconcile', from: 'needs_reconcile', to: 'published', by: 'system' });
  expect(pin.history?.at(-1)?.reason).toContain(pinterestPinId);
  expect(await holderItem(flow, 'sandbox', pinterestPinId ?? '')).toBe(pin.id);
  expect(await readPin(pin.id)).toMatchObject({ status: 'published', published: { pinterestPinId } });
}

describe('create_then_drop: the Pin exists, the answer was lost → needs_reconcile → published with that Pin, never sent again', () => {
  it('by POST /pins/{id}/check', async () => {
    const pin = await draft();
    const lost = await droppedAfterCreate(flow, pin);
    expect(lost).toMatchObject({ status: 'needs_reconcile', published: null, scan: null });
    const [created, ...others] = await pinsAtEmulator(flow, 'sandbox', boardId);
    expect(others).toEqual([]);

    const { result, requests } = await requestsDuring(flow, () => checked(pin.id));
    await expectReconciledTo(result, created?.id);
    expect(result.published?.createdAt).toBe(created?.created_at);
    expect(result.version).toBe(lost.version + 1);
    expect(calls(requests)).toEqual([`GET /v5/boards/${boardId}/pins`]);
    expect(requests[0]?.query).toMatchObject({ page_size: '100' });
    expect(pinCreates(flow)).toHaveLength(1);

    // Published now: publishing again is refused and sends nothing.
    expect((await publish(pin.id)).statusCode).toBe(409);
    expect(pinCreates(flow)).toHaveLength(1);
    expect(await pinsAtEmulator(flow, 'sandbox', boardId)).toHaveLength(1);
  });

  it('by the `reconcile` schedule (function reconcilePins)', async () => {
    const pin = await draft();
    await droppedAfterCreate(flow, pin);
    const [created] = await pinsAtEmulator(flow, 'sandbox', boardId);

    const { result, requests } = await requestsDuring(flow, () => runSchedule('reconcile'));
    expect(result).toEqual({ sandbox: { tried: 1, published: 1 }, production: { tried: 0, published: 0 } });
    await expectReconciledTo((await readPin(pin.id)) as ReconcileJson, created?.id);
    expectOnlyReads(calls(requests));
    expect(pinCreates(flow)).toHaveLength(1);

    // Nothing left to do: the next run tries nothing and sends nothing.
    const next = await requestsDuring(flow, () => runSchedule('reconcile'));
    expect(next.result).toEqual({ sandbox: { tried: 0, published: 0 }, production: { tried: 0, published: 0 } });
    expect(calls(next.requests)).toEqual([]);
  });

  it('by the sweeper (function sweepPublishing): the function died after Pinterest created the Pin, before writing the outcome', async () => {
    const pin = await draft();
    flow.emulator.controls.injectFault({ kind: 'create_then_drop', host: 'sandbox', method: 'POST', path: '/v5/pins' });
    // The attempt started 3 minutes ago: its 2-minute lease is over by now.
    await publishAndDie(pin.id, 'before_outcome', new Date(Date.now() - 3 * 60_000));
    const stuck = await storedRecord(flow, pin.id);
    expect(stuck).toMatchObject({ status: 'publishing' });
    expect(Date.parse(stuck.attempt?.leaseUntil ?? '')).toBeLessThan(Date.now());
    expect(pinCreates(flow)).toHaveLength(1);
    const [created] = await pinsAtEmulator(flow, 'sandbox', boardId);

    const { result, requests } = await requestsDuring(flow, () => runSchedule('sweep-publishing'));
    expect(result).toMatchObject({ swept: 1, reconciled: 1 });
    const after = (await readPin(pin.id)) as ReconcileJson;
    await expectReconciledTo(after, created?.id);
    expect(lastSteps(after, 3)).toEqual([
      ['publish', 'approved', 'publishing', 'operator'],
      ['sweep', 'publishing', 'needs_reconcile', 'system'],
      ['reconcile', 'needs_reconcile', 'published', 'system'],
    ]);
    expectOnlyReads(calls(requests));
    expect(pinCreates(flow)).toHaveLength(1);
  });

  it('by the sweeper, when Pinterest answered 201 and the function died after claiming the Pin in the holder index: the record’s own claim is no obstacle', async () => {
    const pin = await draft();
    await publishAndDie(pin.id, 'before_outcome', new Date(Date.now() - 3 * 60_000));
    const [created] = await pinsAtEmulator(flow, 'sandbox', boardId);
    expect(await holderItem(flow, 'sandbox', created?.id ?? '')).toBe(pin.id);
    expect(await storedRecord(flow, pin.id)).toMatchObject({ status: 'publishing' });

    const { result, requests } = await requestsDuring(flow, () => runSchedule('sweep-publishing'));
    expect(result).toMatchObject({ swept: 1, reconciled: 1 });
    await expectReconciledTo((await readPin(pin.id)) as ReconcileJson, created?.id);
    expectOnlyReads(calls(requests));
    expect(pinCreates(flow)).toHaveLength(1);
  });

  it('the sweeper leaves a claim whose lease is still running alone; once the lease is over it sweeps it', async () => {
    const pin = await draft();
    await publishAndDie(pin.id, 'after_claim');
    const claimed = await storedRecord(flow, pin.id);
    expect(claimed.status).toBe('publishing');

    const { result, requests } = await requestsDuring(flow, () => runSchedule('sweep-publishing'));
    expect(result).toMatchObject({ swept: 0, reconciled: 0 });
    expect(calls(requests)).toEqual([]);
    expect(await storedRecord(flow, pin.id)).toEqual(claimed);

    // Past the lease it is swept (the use case with a clock past the lease).
    const { outcome } = await sweepAt(new Date(Date.parse(claimed.attempt?.leaseUntil ?? '') + 1000));
    expect(outcome).toMatchObject({ swept: 1, reconciled: 0 });
    expect(await storedRecord(flow, pin.id)).toMatchObject({ status: 'needs_reconcile', unknownOutcome: { attemptId: claimed.attempt?.attemptId, attemptStartedAt: claimed.attempt?.startedAt } });
  });
});

describe('killed right after the claim: nothing reached Pinterest', () => {
  it('lease over → sweeper → nothing found (scan none) → stays needs_reconcile; the operator resolves it to approved; a new publish creates exactly one Pin', async () => {
    const pin = await draft();
    const started = new Date(Date.now() - LEASE_MS - 60_000);
    await publishAndDie(pin.id, 'after_claim', started);
    expect(pinCreates(flow)).toHaveLength(0);
    expect(await storedRecord(flow, pin.id)).toMatchObject({ status: 'publishing', attempt: { startedAt: started.toISOString() } });

    const { result, requests } = await requestsDuring(flow, () => runSchedule('sweep-publishing'));
    expect(result).toMatchObject({ swept: 1, reconciled: 0 });
    expect(calls(requests)).toEqual([`GET /v5/boards/${boardId}/pins`]);
    const waiting = (await readPin(pin.id)) as ReconcileJson;
    expect(waiting).toMatchObject({ status: 'needs_reconcile', published: null, attempt: null, unknownOutcome: { attemptStartedAt: started.toISOString() } });
    expect(waiting.unknownOutcome?.reason).toContain('may or may not exist');
    expect(waiting.scan).toMatchObject({ result: 'none', candidates: [], pagesScanned: 1, capped: false, windowFrom: new Date(started.getTime() - 120_000).toISOString() });
    expect(lastSteps(waiting)).toEqual([
      ['publish', 'approved', 'publishing', 'operator'],
      ['sweep', 'publishing', 'needs_reconcile', 'system'],
    ]);
    expect(waiting.history?.at(-1)?.reason).toBe('lease ended');

    // Publishing again is refused until the operator decides.
    expect((await publish(pin.id)).statusCode).toBe(409);
    expect(pinCreates(flow)).toHaveLength(0);

    const back = await resolved(pin.id, { outcome: 'approved', version: waiting.version });
    expect(back).toMatchObject({ status: 'approved', version: waiting.version + 1, unknownOutcome: null, scan: null, published: null, approval: { holds: true } });
    expect(back.history?.at(-1)).toMatchObject({ action: 'resolve', from: 'needs_reconcile', to: 'approved', by: 'operator' });

    const again = await published(pin.id);
    expect(again.pin).toMatchObject({ status: 'published' });
    expect(pinCreates(flow)).toHaveLength(1);
    expect((await pinsAtEmulator(flow, 'sandbox', boardId)).map((p) => p.id)).toEqual([again.pin.published?.pinterestPinId]);
  });
});

describe('two identical drafts on one board', () => {
  it.each([
    ['the first published, then the second dropped', ['ok', 'drop']],
    ['the second dropped first, then the first published', ['drop', 'ok']],
  ] as const)('%s: the dropped one reconciles to the Pin the other does not hold', async (_name, order) => {
    const a = await draft();
    const b = await draft();
    const [first, second] = order[0] === 'ok' ? [a, b] : [b, a];
    const publishOne = async (pin: PinJson, how: 'ok' | 'drop') => (how === 'ok' ? (await published(pin.id)).pin : droppedAfterCreate(flow, pin));
    const results = [await publishOne(first, order[0]), await publishOne(second, order[1])];
    const winner = results.find((r) => r.status === 'published');
    const lost = results.find((r) => r.status === 'needs_reconcile');
    if (winner === undefined || lost === undefined) throw new Error('one published, one needs_reconcile');
    const pins = await pinsAtEmulator(flow, 'sandbox', boardId);
    expect(pins).toHaveLength(2);
    const other = pins.find((p) => p.id !== winner.published?.pinterestPinId);

    const { result, requests } = await requestsDuring(flow, () => checked(lost.id));
    await expectReconciledTo(result, other?.id);
    expect(result.published?.pinterestPinId).not.toBe(winner.published?.pinterestPinId);
    expect(await holderItem(flow, 'sandbox', winner.published?.pinterestPinId ?? '')).toBe(winner.id);
    expectOnlyReads(calls(requests));
    expect(pinCreates(flow)).toHaveLength(2);
  });

  it('both dropped: both stay needs_reconcile (several) until resolved, each with a different Pin; the same Pin twice is a 409 for the second', async () => {
    const a = await draft();
    const b = await draft();
    await droppedAfterCreate(flow, a);
    await droppedAfterCreate(flow, b);
    const pins = await pinsAtEmulator(flow, 'sandbox', boardId);
    const ids = pins.map((p) => p.id);
    expect(ids).toHaveLength(2);

    const { result, requests } = await requestsDuring(flow, () => runSchedule('reconcile'));
    expect(result).toMatchObject({ sandbox: { tried: 2, published: 0 } });
    expectOnlyReads(calls(requests));
    for (const pin of [a, b]) {
      const waiting = (await readPin(pin.id)) as ReconcileJson;
      expect(waiting).toMatchObject({ status: 'needs_reconcile', scan: { result: 'several', capped: false, pagesScanned: 1 } });
      expect(waiting.scan?.candidates.map((c) => c.pinterestPinId).sort()).toEqual([...ids].sort());
      for (const candidate of waiting.scan?.candidates ?? []) {
        expect(candidate.differs).toEqual([]);
        expect(candidate.heldBy).toBeUndefined();
        expect(candidate.createdAt).toBe(pins.find((p) => p.id === candidate.pinterestPinId)?.created_at);
      }
    }
    // A check decides nothing more.
    expect(await checked(a.id)).toMatchObject({ status: 'needs_reconcile', scan: { result: 'several' } });

    const [one, two] = ids;
    const first = await resolved(a.id, { outcome: 'published', pinterestPinId: one });
    expect(first).toMatchObject({ status: 'published', published: { pinterestPinId: one, boardId, httpStatus: 200 }, scan: null, unknownOutcome: null });
    expect(first.history?.at(-1)).toMatchObject({ action: 'resolve', from: 'needs_reconcile', to: 'published', by: 'operator' });

    const before = await storedRecord(flow, b.id);
    const clash = await requestsDuring(flow, () => resolve(b.id, { outcome: 'published', pinterestPinId: one }));
    expect(clash.result.statusCode).toBe(409);
    expect(clash.result.text).toContain(a.id);
    expect(calls(clash.requests)).toEqual([`GET /v5/pins/${one ?? ''}`]);
    expect(await storedRecord(flow, b.id)).toEqual(before);

    const second = await resolved(b.id, { outcome: 'published', pinterestPinId: two });
    expect(second).toMatchObject({ status: 'published', published: { pinterestPinId: two } });
    expect(await holderItem(flow, 'sandbox', one ?? '')).toBe(a.id);
    expect(await holderItem(flow, 'sandbox', two ?? '')).toBe(b.id);
    expect(pinCreates(flow)).toHaveLength(2);
  });
});

describe('near matches and the window', () => {
  it('a Pin on the board with the same title but another description, made within the window: near_match naming description; stays', async () => {
    const near = await pinAtPinterest(flow, 'sandbox', { boardId, ...content, description: 'Ten loud minutes.' });
    const pin = await draft();
    // Nothing of this record's reached Pinterest: the connection dropped before processing.
    flow.emulator.controls.injectFault({ kind: 'drop_connection', host: 'sandbox', method: 'POST', path: '/v5/pins' });
    expect((await published(pin.id)).outcome).toBe('needs_reconcile');

    const { result, requests } = await requestsDuring(flow, () => checked(pin.id));
    expect(result).toMatchObject({ status: 'needs_reconcile', published: null, scan: { result: 'near_match', capped: false, pagesScanned: 1 } });
    expect(result.scan?.candidates).toEqual([{ pinterestPinId: near.id, createdAt: near.created_at, differs: ['description'] }]);
    expect(await holderItem(flow, 'sandbox', near.id)).toBeUndefined();
    expectOnlyReads(calls(requests));
    // The operator can still take it, knowing it differs.
    expect(await resolved(pin.id, { outcome: 'published', pinterestPinId: near.id })).toMatchObject({ status: 'published', published: { pinterestPinId: near.id } });
  });

  it('every field that differs is named (here title and link); a Pin with no description matches a draft without one', async () => {
    const near = await pinAtPinterest(flow, 'sandbox', { boardId, title: 'Raked gravel at dawn', link: 'https://miradigitalzen.example/other', altText: content.altText, description: content.description });
    const pin = await draft();
    await publishAndDie(pin.id, 'after_claim', new Date(Date.now() - 60_000));
    const { outcome } = await sweepAt(new Date(Date.now() + LEASE_MS));
    expect(outcome).toMatchObject({ swept: 1, reconciled: 0 });
    const waiting = (await readPin(pin.id)) as ReconcileJson;
    expect(waiting.scan).toMatchObject({ result: 'near_match', candidates: [{ pinterestPinId: near.id, differs: ['title', 'link'] }] });

    const bare = await approvedDraft({ environment: 'sandbox', boardId, title: 'Bare', imageUrl: 'https://images.example.com/bare.jpg' });
    const match = await pinAtPinterest(flow, 'sandbox', { boardId, title: 'Bare' });
    await publishAndDie(bare.id, 'after_claim', new Date(Date.now() - 60_000));
    await sweepAt(new Date(Date.now() + LEASE_MS));
    expect(await readPin(bare.id)).toMatchObject({ status: 'published', published: { pinterestPinId: match.id } });
  });

  it('texts are compared trimmed and in Unicode NFC: a Pin whose title is decomposed and padded matches', async () => {
    const pin = await draft({ title: 'Caf\u00e9 zen', description: undefined });
    const match = await pinAtPinterest(flow, 'sandbox', { boardId, title: '  Cafe\u0301 zen ', link: content.link, altText: content.altText });
    expect(match.title).not.toBe('Caf\u00e9 zen');
    await publishAndDie(pin.id, 'after_claim', new Date(Date.now() - 60_000));
    const { outcome } = await sweepAt(new Date(Date.now() + LEASE_MS));
    expect(outcome).toMatchObject({ swept: 1, reconciled: 1 });
    expect(await readPin(pin.id)).toMatchObject({ status: 'published', published: { pinterestPinId: match.id } });
  });

  it('a Pin created before the attempt started minus 2 minutes is no candidate; one created within the 2 minutes before is', async () => {
    const early = await draft();
    const late = await draft({ title: 'Late' });
    const pinEarly = await pinAtPinterest(flow, 'sandbox', { boardId, ...content });
    const pinLate = await pinAtPinterest(flow, 'sandbox', { boardId, ...content, title: 'Late' });
    const createdMs = Math.max(Date.parse(`${pinEarly.created_at ?? ''}Z`), Date.parse(`${pinLate.created_at ?? ''}Z`));

    // An attempt that started 2 min 5 s after the Pins: they are before its window.
    const tooLate = new Date(createdMs + 125_000);
    await publishAndDie(early.id, 'after_claim', tooLate);
    await sweepAt(new Date(tooLate.getTime() + LEASE_MS + 1000));
    expect(await readPin(early.id)).toMatchObject({ status: 'needs_reconcile', scan: { result: 'none', candidates: [], windowFrom: new Date(tooLate.getTime() - 120_000).toISOString() } });

    // An attempt that started 1 min 55 s after its Pin: inside the window.
    const inTime = new Date(createdMs + 115_000);
    await publishAndDie(late.id, 'after_claim', inTime);
    await sweepAt(new Date(inTime.getTime() + LEASE_MS + 1000));
    expect(await readPin(late.id)).toMatchObject({ status: 'published', published: { pinterestPinId: pinLate.id } });
    expect(pinCreates(flow).map((r) => r.host)).toEqual(['sandbox', 'sandbox']);
  });

  it('a Pin already held by another record is no match (heldBy names it), even with the same content', async () => {
    const a = await draft();
    const first = await published(a.id);
    const b = await draft();
    flow.emulator.controls.injectFault({ kind: 'drop_connection', host: 'sandbox', method: 'POST', path: '/v5/pins' });
    expect((await published(b.id)).outcome).toBe('needs_reconcile');
    const result = await checked(b.id);
    // Not `none`: there is a Pin in the window, only another record holds it.
    expect(result).toMatchObject({ status: 'needs_reconcile', scan: { result: 'other_pins' } });
    expect(result.scan?.candidates).toEqual([{ pinterestPinId: first.pin.published?.pinterestPinId, createdAt: first.pin.published?.createdAt, differs: [], heldBy: a.id }]);
  });
});

describe('reconciliation only reads Pinterest', () => {
  it('whatever it finds (matched, several, near_match) and whoever runs it (sweeper, schedule, check): only GETs, never a POST /v5/pins', async () => {
    const matched = await draft({ title: 'Matched' });
    await droppedAfterCreate(flow, matched);
    const [twinA, twinB] = [await draft({ title: 'Twin' }), await draft({ title: 'Twin' })];
    await droppedAfterCreate(flow, twinA);
    await droppedAfterCreate(flow, twinB);
    await pinAtPinterest(flow, 'sandbox', { boardId, ...content, title: 'Near', description: 'Elsewhere.' });
    const near = await draft({ title: 'Near' });
    await publishAndDie(near.id, 'after_claim', new Date(Date.now() - LEASE_MS - 1000));
    const nothing = await draft({ title: 'Nothing' });
    await publishAndDie(nothing.id, 'after_claim', new Date(Date.now() - LEASE_MS - 1000));
    const creates = pinCreates(flow).length;

    const { requests } = await requestsDuring(flow, async () => {
      await runSchedule('sweep-publishing');
      await runSchedule('reconcile');
      for (const pin of [matched, twinA, twinB, near, nothing]) await checked(pin.id).catch(() => undefined);
    });
    expectOnlyReads(calls(requests));
    expect(pinCreates(flow)).toHaveLength(creates);
    const results = await Promise.all([matched, twinA, twinB, near, nothing].map(async (pin) => {
      const now = (await readPin(pin.id)) as ReconcileJson;
      return [now.status, now.scan?.result ?? null];
    }));
    expect(results).toEqual([
      ['published', null],
      ['needs_reconcile', 'several'],
      ['needs_reconcile', 'several'],
      ['needs_reconcile', 'near_match'],
      // Nothing of its own at Pinterest, but other unheld Pins in its window differ from it in a field.
      ['needs_reconcile', 'near_match'],
    ]);
  });
});
