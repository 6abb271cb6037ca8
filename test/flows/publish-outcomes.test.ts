// Before any wiring of this file reads the settings: this file publishes many times in a row.
process.env.PUBLISH_MIN_GAP_SECONDS = '0';

import { PIN_CREATE_TIMEOUT_MS } from '../../shared/wiring-publish';
import type { Fault } from '../../local/emulators/pinterest/types';
import { resetBoardFlow, requestsTo, setUpBoardFlow, waitFor, workflowItem } from '../support/board-flow';
import { approvePin, deletePin, errorOf, patchPin, readPin, rejectPin, sandboxBoard, type PinJson } from '../support/pin-flow';
import {
  approvedDraft,
  check,
  lastSteps,
  pinCreates,
  pinsAtEmulator,
  publish,
  publishEntries,
  published,
  storedRecord,
  tinyPng,
  tokenRefreshes,
  updateBehindTheApi,
  type RecordJson,
} from '../support/publish-flow';

/**
 * What each way a `POST /v5/pins` can end does to the record, through the real publish handler, the
 * real Pinterest client and the emulator's faults: the status, the failure (kind, whether publishing
 * again can help, when), the history entry the system writes, how many Pin creations reached the
 * emulator and how many Pins exist there, and the `pin_publish` security-log entry.
 */

const flow = setUpBoardFlow('publish-outcomes');
let boardId: string;

beforeEach(async () => {
  await resetBoardFlow(flow, ['sandbox']);
  boardId = (await sandboxBoard('Outcomes')).id;
});

const draftWithUrl = (url = 'https://images.example.com/zen.jpg') => approvedDraft({ environment: 'sandbox', boardId, title: 'Raked gravel', imageUrl: url });
const draftWithPng = () => approvedDraft({ environment: 'sandbox', boardId, title: 'Moss', imageBase64: tinyPng().toString('base64'), imageContentType: 'image/png' });

const fault = (f: Record<string, unknown>) => flow.emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/pins', ...f } as Fault);

/** The claim and the outcome: the two entries a publish adds, by the operator then by the system. */
function expectClaimThenOutcome(pin: RecordJson, to: string, from = 'approved'): void {
  expect(lastSteps(pin)).toEqual([
    ['publish', from, 'publishing', 'operator'],
    ['outcome', 'publishing', to, 'system'],
  ]);
  expect(pin.attempt).toBeNull();
}

const secondsFromNow = (iso: string | undefined) => (Date.parse(iso ?? '') - Date.now()) / 1000;

describe('nothing can have been sent: failed, and publishing again may help', () => {
  it('connection refused → failed not_sent (retryable, no Retry-After); once Pinterest listens again the next publish creates exactly one Pin', async () => {
    const pin = await draftWithPng();
    flow.emulator.controls.injectFault({ kind: 'refuse_connection', host: 'sandbox', ms: 60_000 });
    const res = await publish(pin.id);
    expect(res.statusCode).toBe(200);
    expect(res.headers['retry-after']).toBeUndefined();
    const answer = res.json() as { outcome: string; pin: RecordJson };
    expect(answer.outcome).toBe('failed');
    expect(answer.pin).toMatchObject({ status: 'failed', version: pin.version + 2, published: null, failure: { kind: 'not_sent', retryable: true } });
    expect(answer.pin.failure?.retryAfter).toBeUndefined();
    expect(answer.pin.failure?.message).toContain('nothing was sent');
    expectClaimThenOutcome(answer.pin, 'failed');
    expect(answer.pin.history?.at(-1)?.reason).toBe(answer.pin.failure?.message);
    expect(pinCreates(flow)).toHaveLength(0);
    expect(await readPin(pin.id)).toEqual(answer.pin);
    const [entry, ...more] = await publishEntries(flow, pin.id);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ kind: 'pin_publish', outcome: 'server_error', detail: { environment: 'sandbox', pin: pin.id, result: 'not_sent' } });
    expect(entry?.status).toBeUndefined();
    expect(entry?.rateLimit).toBeUndefined();

    flow.emulator.controls.clearFaults();
    const again = await published(pin.id);
    expect(again.outcome).toBe('published');
    expect(again.pin).toMatchObject({ status: 'published', failure: null, attempt: null });
    expectClaimThenOutcome(again.pin, 'published', 'failed');
    expect(pinCreates(flow)).toHaveLength(1);
    const pins = await pinsAtEmulator(flow, 'sandbox', boardId);
    expect(pins.map((p) => p.id)).toEqual([again.pin.published?.pinterestPinId]);
    expect((await publishEntries(flow, pin.id)).map((e) => [e.outcome, e.detail?.result])).toEqual([
      ['server_error', 'not_sent'],
      ['ok', 'published'],
    ]);
  });

  it('401 code 2 (expired access token): one refresh, the call repeated once, published with exactly one Pin', async () => {
    const pin = await draftWithPng();
    flow.emulator.controls.expireAccessTokens('sandbox');
    const answer = await published(pin.id);
    expect(answer).toMatchObject({ outcome: 'published', pin: { status: 'published', failure: null } });
    expectClaimThenOutcome(answer.pin, 'published');
    // The refused call and its repeat reached the emulator; only the repeat created anything.
    expect(pinCreates(flow)).toHaveLength(2);
    expect(pinCreates(flow)[0]?.headers.authorization).not.toBe(pinCreates(flow)[1]?.headers.authorization);
    expect(tokenRefreshes(flow)).toHaveLength(1);
    expect((await pinsAtEmulator(flow, 'sandbox', boardId)).map((p) => p.id)).toEqual([answer.pin.published?.pinterestPinId]);
    const entries = await publishEntries(flow, pin.id);
    expect(entries.map((e) => [e.outcome, e.status])).toEqual([['ok', 201]]);
  });

  it('a grant revoked at Pinterest: the refused call, a refresh refused, failed reauthorization_required (retryable) and the account needs a new connection', async () => {
    const pin = await draftWithPng();
    flow.emulator.controls.revokeGrant('sandbox', '1000000000000000001');
    const answer = await published(pin.id);
    expect(answer.pin).toMatchObject({ status: 'failed', failure: { kind: 'reauthorization_required', retryable: true } });
    expectClaimThenOutcome(answer.pin, 'failed');
    expect(pinCreates(flow)).toHaveLength(1);
    // The product's tokens are gone with the grant: the emulator's log says what reached it.
    expect(tokenRefreshes(flow)).toHaveLength(1);
    expect((await workflowItem(flow, 'ACCOUNT#sandbox', 'CURRENT'))?.status).toBe('reauthorization_required');
    // Publishing again is refused before anything is sent.
    const again = await publish(pin.id);
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).currentState).toBe('reauthorization_required');
    expect(pinCreates(flow)).toHaveLength(1);
  });
});

describe('Pinterest said no: failed, with what to do', () => {
  it('429 → failed rate_limited with retryAfter and Retry-After; publishing again before then is a 429 that changes nothing; once it has passed, publishing works', async () => {
    const pin = await draftWithUrl();
    fault({ kind: 'rate_limit' });
    const res = await publish(pin.id);
    expect(res.statusCode).toBe(200);
    const answer = res.json() as { outcome: string; pin: RecordJson };
    expect(answer).toMatchObject({ outcome: 'failed', pin: { status: 'failed', failure: { kind: 'rate_limited', retryable: true, httpStatus: 429, pinterestCode: 8 } } });
    expectClaimThenOutcome(answer.pin, 'failed');
    const failure = answer.pin.failure;
    // The emulator's Trial window is a day; the reset it sent is what the record waits for.
    const wait = secondsFromNow(failure?.retryAfter);
    expect(wait).toBeGreaterThan(3600);
    expect(wait).toBeLessThanOrEqual(86_400 + 1);
    expect(Math.abs(Number(res.headers['retry-after']) - wait)).toBeLessThanOrEqual(2);
    expect(failure?.requestId).toBe(pinCreates(flow)[0]?.rid);
    expect(pinCreates(flow)).toHaveLength(1);
    const [entry] = await publishEntries(flow, pin.id);
    expect(entry).toMatchObject({ kind: 'pin_publish', outcome: 'rate_limited', status: 429, rateLimit: { limited: true, remaining: 0 }, detail: { result: 'rate_limited', pinterestRequestId: failure?.requestId } });
    expect(Number(entry?.detail?.rateLimitResetSeconds)).toBeGreaterThan(3600);

    const before = await storedRecord(flow, pin.id);
    const early = await publish(pin.id);
    expect(early.statusCode).toBe(429);
    expect(errorOf(early).code).toBe('rate_limited');
    expect(errorOf(early).message).toContain('Nothing was changed');
    expect(Math.abs(Number(early.headers['retry-after']) - wait)).toBeLessThanOrEqual(3);
    expect(await storedRecord(flow, pin.id)).toEqual(before);
    expect(pinCreates(flow)).toHaveLength(1);
    expect(await publishEntries(flow, pin.id)).toHaveLength(1);

    // The reset has passed (moved behind the API's back): publishing again is allowed and creates the Pin.
    await updateBehindTheApi(flow, pin.id, 'SET #failure.retryAfter = :past', { '#failure': 'failure' }, { ':past': new Date(Date.now() - 1000).toISOString() });
    const later = await published(pin.id);
    expect(later.pin).toMatchObject({ status: 'published', failure: null });
    expect(pinCreates(flow)).toHaveLength(2);
    expect(await pinsAtEmulator(flow, 'sandbox', boardId)).toHaveLength(1);
  });

  it('a spam block → failed spam_blocked, retryable only after at least an hour', async () => {
    const pin = await draftWithUrl();
    fault({ kind: 'spam_block' });
    const res = await publish(pin.id);
    const answer = res.json() as { outcome: string; pin: RecordJson };
    expect(answer).toMatchObject({ outcome: 'failed', pin: { status: 'failed', failure: { kind: 'spam_blocked', retryable: true, httpStatus: 429 } } });
    expect(answer.pin.failure?.message).toContain("You've hit a block");
    expect(secondsFromNow(answer.pin.failure?.retryAfter)).toBeGreaterThanOrEqual(3600 - 2);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(3600);
    expectClaimThenOutcome(answer.pin, 'failed');
    expect(pinCreates(flow)).toHaveLength(1);
    expect(await pinsAtEmulator(flow, 'sandbox', boardId)).toEqual([]);
    const [entry] = await publishEntries(flow, pin.id);
    expect(entry).toMatchObject({ outcome: 'rate_limited', status: 429, rateLimit: { limited: true }, detail: { result: 'spam_blocked' } });
    expect((await publish(pin.id)).statusCode).toBe(429);
    expect(pinCreates(flow)).toHaveLength(1);
  });

  it('an image Pinterest cannot fetch (a host under .invalid) → failed image_unreachable, not retryable; publishing again is a 409', async () => {
    const pin = await draftWithUrl('https://images.example.invalid/zen.jpg');
    const answer = await published(pin.id);
    expect(answer).toMatchObject({ outcome: 'failed', pin: { status: 'failed', failure: { kind: 'image_unreachable', retryable: false, httpStatus: 400, pinterestCode: 1 } } });
    expect(answer.pin.failure?.message).toContain('Sorry, we could not fetch the image.');
    expect(answer.pin.failure?.requestId).toBe(pinCreates(flow)[0]?.rid);
    expectClaimThenOutcome(answer.pin, 'failed');
    expect(pinCreates(flow)).toHaveLength(1);
    expect(await pinsAtEmulator(flow, 'sandbox', boardId)).toEqual([]);
    const [entry] = await publishEntries(flow, pin.id);
    expect(entry).toMatchObject({ outcome: 'client_error', status: 400, detail: { result: 'image_unreachable' } });
    // A real answer carries Pinterest's rate-limit headers: they are in the entry.
    expect(entry?.rateLimit).toMatchObject({ limited: false, remaining: expect.any(Number) as unknown });

    const again = await publish(pin.id);
    expect(again.statusCode).toBe(409);
    expect(errorOf(again)).toMatchObject({ code: 'conflict', currentState: 'failed' });
    expect(errorOf(again).message).toContain('cannot fix');
    expect(pinCreates(flow)).toHaveLength(1);
  });

  it('a board deleted at Pinterest but still in the snapshot → failed board_not_found (404), not retryable', async () => {
    const pin = await draftWithPng();
    flow.emulator.controls.deleteBoard('sandbox', boardId);
    const answer = await published(pin.id);
    expect(answer).toMatchObject({ outcome: 'failed', pin: { status: 'failed', failure: { kind: 'board_not_found', retryable: false, httpStatus: 404 } } });
    expect(answer.pin.failure?.message).toContain(`does not know board ${boardId}`);
    expectClaimThenOutcome(answer.pin, 'failed');
    expect(pinCreates(flow)).toHaveLength(1);
    expect((await publishEntries(flow, pin.id)).map((e) => [e.outcome, e.status, e.detail?.result])).toEqual([['client_error', 404, 'board_not_found']]);
  });

  it('the board_not_found fault and a refused field (400) → board_not_found and invalid_field', async () => {
    const a = await draftWithUrl();
    fault({ kind: 'board_not_found' });
    expect((await published(a.id)).pin.failure).toMatchObject({ kind: 'board_not_found', retryable: false, httpStatus: 404, pinterestCode: 404 });

    const b = await draftWithUrl();
    fault({ kind: 'status', status: 400, body: { code: 1, message: "'x' is not a valid value - 'dominant_color'" } });
    const answer = await published(b.id);
    expect(answer.pin.failure).toMatchObject({ kind: 'invalid_field', retryable: false, httpStatus: 400, pinterestCode: 1 });
    expect(answer.pin.failure?.message).toContain("'dominant_color'");
    expect(pinCreates(flow)).toHaveLength(2);
    expect(await pinsAtEmulator(flow, 'sandbox', boardId)).toEqual([]);
  });
});

describe('the request may have been processed: needs_reconcile, never published again by itself', () => {
  async function expectNeedsReconcile(pin: PinJson, reason: RegExp): Promise<RecordJson> {
    const res = await publish(pin.id);
    expect(res.statusCode).toBe(200);
    expect(res.headers['retry-after']).toBeUndefined();
    const answer = res.json() as { outcome: string; pin: RecordJson };
    expect(answer.outcome).toBe('needs_reconcile');
    expect(answer.pin).toMatchObject({ status: 'needs_reconcile', failure: null, published: null });
    expect(answer.pin.unknownOutcome?.reason).toMatch(reason);
    expect(answer.pin.unknownOutcome?.attemptId).toEqual(expect.any(String));
    expectClaimThenOutcome(answer.pin, 'needs_reconcile');
    expect(pinCreates(flow)).toHaveLength(1);
    // Publishing again is refused: only a reconciliation or the operator may decide.
    const again = await publish(pin.id);
    expect(again.statusCode).toBe(409);
    expect(errorOf(again)).toMatchObject({ code: 'conflict', currentState: 'needs_reconcile' });
    expect(pinCreates(flow)).toHaveLength(1);
    const entries = await publishEntries(flow, pin.id);
    expect(entries.map((e) => [e.kind, e.outcome, e.detail?.result])).toEqual([['pin_publish', 'server_error', 'needs_reconcile']]);
    return answer.pin;
  }

  it('a delay past the Pin call’s timeout (PIN_CREATE_TIMEOUT_MS, 7 s) → needs_reconcile, and the emulator still creates the Pin; meanwhile the record is publishing under a 2-minute lease and refuses everything', async () => {
    const pin = await draftWithPng();
    fault({ kind: 'delay', ms: PIN_CREATE_TIMEOUT_MS + 600 });
    const running = expectNeedsReconcile(pin, /failed after the request was sent \(TimeoutError\)/);

    // While the call is out: the claim is stored, and every other change of the record is refused.
    await waitFor(() => pinCreates(flow).length === 1, 'the Pin creation to reach the emulator');
    const claimed = await storedRecord(flow, pin.id);
    expect(claimed).toMatchObject({ status: 'publishing', version: pin.version + 1 });
    const attempt = claimed.attempt;
    expect(Date.parse(attempt?.leaseUntil ?? '') - Date.parse(attempt?.startedAt ?? '')).toBe(120_000);
    const during = await publish(pin.id);
    expect(during.statusCode).toBe(409);
    expect(errorOf(during)).toMatchObject({ currentState: 'publishing' });
    expect(errorOf(during).message).toContain(`already being published (attempt started ${attempt?.startedAt ?? ''})`);
    expect((await approvePin(pin.id, claimed.version)).statusCode).toBe(409);
    expect((await rejectPin(pin.id, claimed.version, 'too late')).statusCode).toBe(409);
    expect((await patchPin(pin.id, { version: claimed.version, title: 'Changed mid-flight' })).statusCode).toBe(409);
    expect((await deletePin(pin.id, claimed.version)).statusCode).toBe(409);
    expect(await storedRecord(flow, pin.id)).toEqual(claimed);

    // (That the call timed out, not how long it took, is what counts: the reason names the TimeoutError.)
    const outcome = await running;
    // The outcome is written under the attempt that claimed the record.
    expect(outcome.unknownOutcome).toMatchObject({ attemptId: attempt?.attemptId, attemptStartedAt: attempt?.startedAt });
    await waitFor(async () => (await pinsAtEmulator(flow, 'sandbox', boardId)).length === 1, 'the slow Pin', 5_000);
  }, 30_000);

  it.each([
    ['drop_connection before processing', { kind: 'drop_connection' }, 0],
    ['drop_connection after processing', { kind: 'drop_connection', afterProcessing: true }, 1],
    ['create_then_drop', { kind: 'create_then_drop' }, 1],
  ])('%s → needs_reconcile (fault %j; Pins at the emulator afterwards: %i)', async (_name, kind, pins) => {
    const pin = await draftWithPng();
    fault(kind);
    await expectNeedsReconcile(pin, /failed after the request was sent/);
    expect(await pinsAtEmulator(flow, 'sandbox', boardId)).toHaveLength(pins);
    expect((await publishEntries(flow, pin.id))[0]?.status).toBeUndefined();
  });

  it('HTTP 500 → needs_reconcile naming the status; a 503 with a text body too', async () => {
    const pin = await draftWithUrl();
    fault({ kind: 'status', status: 500 });
    await expectNeedsReconcile(pin, /answered 500/);
    expect((await publishEntries(flow, pin.id))[0]?.status).toBe(500);

    const other = await draftWithUrl();
    fault({ kind: 'status', status: 503, body: '<html>Service Unavailable</html>' });
    const res = await published(other.id);
    expect(res.pin).toMatchObject({ status: 'needs_reconcile' });
    expect(res.pin.unknownOutcome?.reason).toMatch(/answered 503/);
    expect(await pinsAtEmulator(flow, 'sandbox', boardId)).toEqual([]);
  });

  it('a 201 whose body is cut short → needs_reconcile (the Pin exists)', async () => {
    const pin = await draftWithUrl();
    fault({ kind: 'malformed_json' });
    await expectNeedsReconcile(pin, /not a Pin/);
    expect(await pinsAtEmulator(flow, 'sandbox', boardId)).toHaveLength(1);
  });

  // An answer without x-ratelimit-* headers (a gateway's 500) carries no signal to log.
  it('a 500 without rate-limit headers: the pin_publish entry has no rateLimit (Pinterest sent none)', async () => {
    const pin = await draftWithUrl();
    fault({ kind: 'status', status: 500 });
    expect((await published(pin.id)).outcome).toBe('needs_reconcile');
    const [entry] = await publishEntries(flow, pin.id);
    expect(entry?.status).toBe(500);
    expect(entry?.rateLimit).toBeUndefined();
  });

  // The 409 must not send the operator to a route that refuses the record.
  it('the 409 for a needs_reconcile record does not send the operator to a route that refuses it', async () => {
    const pin = await draftWithUrl();
    fault({ kind: 'create_then_drop' });
    expect((await published(pin.id)).outcome).toBe('needs_reconcile');
    const again = await publish(pin.id);
    expect(again.statusCode).toBe(409);
    const res = await check(pin.id);
    const pointsToCheck = errorOf(again).message.includes('/pins/{id}/check');
    expect({ pointsToCheck, checkRefuses: res.statusCode === 409 }).not.toEqual({ pointsToCheck: true, checkRefuses: true });
  });
});

describe('exactly one Pin-creation request per attempt', () => {
  it('no outcome sends the Pin twice: one POST /v5/pins per publish, whatever the answer', async () => {
    const faults: Array<Record<string, unknown>> = [{ kind: 'status', status: 502 }, { kind: 'rate_limit' }, { kind: 'create_then_drop' }];
    for (const f of faults) {
      const pin = await draftWithUrl();
      const before = requestsTo(flow, 'POST', '/v5/pins').length;
      fault(f);
      await published(pin.id);
      expect(requestsTo(flow, 'POST', '/v5/pins').length - before).toBe(1);
    }
  });
});
