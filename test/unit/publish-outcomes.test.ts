import { AppError, ConflictError } from '../../shared/domain/errors';
import { PinterestApiError, PinterestNetworkError, PinterestResponseError, type RateLimit } from '../../shared/adapters/pinterest/errors';
import { publishOutcome, type PublishOutcome } from '../../shared/use-cases/publish-outcomes';
import { ReauthorizationRequiredError } from '../../shared/use-cases/token-source';

/**
 * `publishOutcome`: what a failed `POST /v5/pins` means for the record, for every error the client,
 * the token source and anything else can throw. Nothing that may have reached Pinterest is ever
 * "failed, retryable"; a definitive refusal says whether publishing again can help and when.
 */

const NOW = new Date('2026-02-03T04:05:06.000Z');
const BOARD = '549755885175';
const RID = 'a1b2c3d4e5f60718';
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000).toISOString();

const api = (status: number, code: number | undefined, message: string, rateLimit: RateLimit = {}, env: 'sandbox' | 'production' = 'sandbox') =>
  new PinterestApiError(env, status, code, message, RID, rateLimit);

const outcome = (error: unknown, env: 'sandbox' | 'production' = 'sandbox'): PublishOutcome => publishOutcome(error, env, BOARD, NOW);

function failure(result: PublishOutcome) {
  if (result.status !== 'failed') throw new Error(`expected failed, got ${result.status}`);
  return result.failure;
}

describe('nothing can have reached Pinterest: failed, retryable, no wait', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNECTTIMEOUT'])('a network error before sending (%s) → not_sent', (code) => {
    const result = outcome(new PinterestNetworkError('sandbox', true, code));
    expect(result).toEqual({ status: 'failed', failure: { kind: 'not_sent', retryable: true, message: expect.stringContaining(`(${code})`) as unknown } });
    expect(failure(result).message).toContain('nothing was sent');
  });

  it('a connection that needs reauthorization → reauthorization_required, retryable (after connecting again)', () => {
    const result = outcome(new ReauthorizationRequiredError('production'), 'production');
    expect(result).toEqual({ status: 'failed', failure: { kind: 'reauthorization_required', retryable: true, message: expect.stringContaining('POST /oauth/start') as unknown } });
    expect(failure(result).message).toContain('production');
  });

  it('a token that could not be renewed (AppError dependency_failed) → token_refresh_failed, retryable, with the reason', () => {
    const result = outcome(new AppError('dependency_failed', 'Pinterest could not renew the sandbox access token just now (server_error (HTTP 503)); try again later.'));
    expect(result).toEqual({ status: 'failed', failure: { kind: 'token_refresh_failed', retryable: true, message: expect.stringContaining('HTTP 503') as unknown } });
    expect(failure(result).message).toContain('Nothing was sent');
  });
});

describe('the request may have been processed: needs_reconcile', () => {
  it.each([
    ['a response timeout', 'TimeoutError'],
    ['a reset connection', 'ECONNRESET'],
    ['a socket hang-up', 'socket hang up'],
  ])('%s after sending → needs_reconcile naming it', (_name, reason) => {
    const result = outcome(new PinterestNetworkError('sandbox', false, reason));
    expect(result).toEqual({ status: 'needs_reconcile', reason: expect.stringContaining(`(${reason})`) as unknown });
    expect(result.status === 'needs_reconcile' && result.reason).toContain('do not publish it again');
  });

  it.each([500, 502, 503, 504])('HTTP %i → needs_reconcile with the status and request id', (status) => {
    expect(outcome(api(status, undefined, `HTTP ${String(status)} without a Pinterest error body`))).toEqual({
      status: 'needs_reconcile',
      reason: expect.stringContaining(`answered ${String(status)}`) as unknown,
      httpStatus: status,
      requestId: RID,
    });
  });

  it('a 2xx that is not a Pin (PinterestResponseError) → needs_reconcile', () => {
    const result = outcome(new PinterestResponseError('sandbox', 201, RID, 'the body is not JSON'));
    expect(result).toEqual({ status: 'needs_reconcile', reason: expect.stringContaining('unexpected answer (HTTP 201)') as unknown });
  });

  it('a plain Error, or an AppError that is not a token renewal → needs_reconcile (not ours to guess)', () => {
    for (const error of [new Error('boom'), new TypeError('x is undefined'), new ConflictError('stale'), 'a string']) {
      expect(outcome(error)).toEqual({ status: 'needs_reconcile', reason: expect.stringContaining('may or may not exist') as unknown });
    }
  });
});

describe('Pinterest refused: failed, with whether and when publishing again can help', () => {
  it('429 with x-ratelimit-reset → rate_limited, retryable after the reset, with status, code and request id', () => {
    const result = outcome(api(429, 8, 'This request exceeded a rate limit.', { limit: 300, remaining: 0, resetSeconds: 120 }));
    expect(result).toEqual({
      status: 'failed',
      failure: { kind: 'rate_limited', retryable: true, retryAfter: later(120), httpStatus: 429, pinterestCode: 8, requestId: RID, message: expect.stringContaining(later(120)) as unknown },
    });
  });

  it('429 without a reset → rate_limited after 60 s; a fractional reset is rounded up', () => {
    expect(failure(outcome(api(429, 8, 'Too many requests'))).retryAfter).toBe(later(60));
    expect(failure(outcome(api(429, 8, 'Too many requests', { resetSeconds: 0.2 }))).retryAfter).toBe(later(1));
  });

  it('a spam block (429 naming spam) → spam_blocked, retryable after at least an hour (or a later reset)', () => {
    const message = "You've hit a block (Pins) we have in place to combat spam";
    const short = failure(outcome(api(429, 8, message, { resetSeconds: 30 })));
    expect(short).toEqual({ kind: 'spam_blocked', retryable: true, retryAfter: later(3600), httpStatus: 429, pinterestCode: 8, requestId: RID, message: expect.stringContaining(message) as unknown });
    expect(failure(outcome(api(429, 8, message, { resetSeconds: 7200 }))).retryAfter).toBe(later(7200));
  });

  it('403 code 29 in production → forbidden, not retryable, saying Trial access publishes to the sandbox only', () => {
    const result = failure(outcome(api(403, 29, 'Apps with Trial access may not create Pins in production', {}, 'production'), 'production'));
    expect(result).toEqual({ kind: 'forbidden', retryable: false, httpStatus: 403, pinterestCode: 29, requestId: RID, message: expect.stringContaining('a Trial app publishes only to the sandbox') as unknown });
    expect(result.retryAfter).toBeUndefined();
  });

  it('403 in the sandbox → forbidden, not retryable, naming the board', () => {
    const result = failure(outcome(api(403, 3, 'You are not permitted to access that resource.')));
    expect(result).toMatchObject({ kind: 'forbidden', retryable: false, httpStatus: 403, pinterestCode: 3 });
    expect(result.message).toContain(`board ${BOARD}`);
  });

  it('404 → board_not_found, not retryable', () => {
    const result = failure(outcome(api(404, 404, 'Board not found.')));
    expect(result).toEqual({ kind: 'board_not_found', retryable: false, httpStatus: 404, pinterestCode: 404, requestId: RID, message: expect.stringContaining(`does not know board ${BOARD}`) as unknown });
  });

  it('a 400 saying the board does not exist → board_not_found', () => {
    expect(failure(outcome(api(400, 1, 'Board does not exist')))).toMatchObject({ kind: 'board_not_found', retryable: false, httpStatus: 400 });
    expect(failure(outcome(api(400, 1, "Invalid board_id '12'")))).toMatchObject({ kind: 'board_not_found' });
  });

  it('a 400 about the image → image_unreachable, not retryable', () => {
    for (const message of ['Sorry, we could not fetch the image.', "The image in 'media_source.data' is not a JPEG or PNG image that could be read."]) {
      const result = failure(outcome(api(400, 1, message)));
      expect(result).toMatchObject({ kind: 'image_unreachable', retryable: false, httpStatus: 400, pinterestCode: 1, requestId: RID });
      expect(result.message).toContain('publicly reachable JPEG or PNG');
    }
  });

  it('any other 400 → invalid_field, not retryable, with Pinterest\'s words on one line', () => {
    const result = failure(outcome(api(400, 1, "'x' is too long (maximum 100 characters)\n - 'title'")));
    expect(result).toMatchObject({ kind: 'invalid_field', retryable: false, httpStatus: 400, pinterestCode: 1 });
    expect(result.message).toContain(`Pinterest said: "'x' is too long (maximum 100 characters) - 'title'".`);
  });

  it('a 400 without a Pinterest error body → invalid_field, with no code', () => {
    const result = failure(outcome(api(400, undefined, '')));
    expect(result).toMatchObject({ kind: 'invalid_field', retryable: false, httpStatus: 400 });
    expect(result.pinterestCode).toBeUndefined();
    expect(result.message).not.toContain('Pinterest said');
  });

  it('401 that reached the use case (not renewed) → refused, not retryable', () => {
    expect(failure(outcome(api(401, 2, 'Authentication failed.')))).toMatchObject({ kind: 'refused', retryable: false, httpStatus: 401, pinterestCode: 2 });
  });

  // Pinterest quotes the refused value: the operator's words must not decide the kind.
  it('a refused title whose quoted value mentions an image is invalid_field, not image_unreachable', () => {
    const result = failure(outcome(api(400, 1, "'My favourite image of a quiet tea ceremony at dawn, with moss…' is too long (maximum 100 characters) - 'title'")));
    expect(result.kind).toBe('invalid_field');
  });
});
