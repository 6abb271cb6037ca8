import { PinterestApiError, PinterestNetworkError, PinterestResponseError } from '../../shared/adapters/pinterest/errors';
import { AppError, NotFoundError, RateLimitedError, ValidationError } from '../../shared/domain/errors';
import { operatorErrorFor } from '../../shared/use-cases/pinterest-refusals';

const ENV = 'sandbox' as const;
const call = { action: 'create the board "Zen"', notFound: 'The board is gone at Pinterest; sync the boards.', ifUnknown: 'The board may have been created: sync the boards before trying again.' };
const api = (status: number, message: string, code?: number, resetSeconds?: number) =>
  new PinterestApiError(ENV, status, code, message, 'rid-1', resetSeconds === undefined ? {} : { resetSeconds });

describe('operatorErrorFor: what the operator reads when Pinterest refuses a call', () => {
  it('429: a RateLimitedError with Pinterest’s reset as Retry-After', () => {
    const error = operatorErrorFor(api(429, 'Rate limit exceeded', 8, 37), ENV, call);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ retryAfterSeconds: 37 });
    expect((error as Error).message).toBe('Pinterest sandbox is rate limiting this app: could not create the board "Zen"; try again in 37 s.');
  });

  it('429 spam block: its own words, 60 s when Pinterest gave no reset', () => {
    const error = operatorErrorFor(api(429, 'Your request was blocked as spam', undefined), ENV, call) as RateLimitedError;
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.message).toContain('spam block');
    expect(error.retryAfterSeconds).toBe(60);
  });

  it('404: a NotFoundError with what it means here', () => {
    const error = operatorErrorFor(api(404, 'Board not found.'), ENV, call);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(call.notFound);
  });

  it('400: a ValidationError with Pinterest’s reason on one short line', () => {
    const error = operatorErrorFor(api(400, `Invalid parameters\n   'name'  ${'x'.repeat(400)}`, 1), ENV, call) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message.startsWith('Pinterest sandbox refused to create the board "Zen": Invalid parameters \'name\' x')).toBe(true);
    expect(error.message).not.toContain('\n');
    expect(error.message.length).toBeLessThan(300);
  });

  it('403: a 502 saying access was refused', () => {
    const error = operatorErrorFor(api(403, 'Forbidden', 29), ENV, call) as AppError;
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('dependency_failed');
    expect(error.message).toContain('refused access');
  });

  it.each([
    ['a 5xx', api(503, 'Service unavailable')],
    ['a dropped connection', new PinterestNetworkError(ENV, false, 'socket hang up')],
  ])('%s on a write: a 502 that says the outcome is unknown', (_, cause) => {
    const error = operatorErrorFor(cause, ENV, call) as AppError;
    expect(error.code).toBe('dependency_failed');
    expect(error.message).toContain('may have been created');
    expect(error.cause).toBe(cause);
  });

  it.each([
    ['not sent', new PinterestNetworkError(ENV, true, 'ECONNREFUSED')],
    ['an unexpected answer', new PinterestResponseError(ENV, 200, 'rid-2', 'id missing')],
  ])('%s: a 502 that says to try again later', (_, cause) => {
    const error = operatorErrorFor(cause, ENV, call) as AppError;
    expect(error.code).toBe('dependency_failed');
    expect(error.message).toContain('Try again later');
  });

  it('never carries Pinterest’s raw body for a failure other than a refused field', () => {
    const error = operatorErrorFor(api(500, 'internal trace pina_SENTINEL0123456789'), ENV, call) as AppError;
    expect(error.message).not.toContain('SENTINEL');
  });

  it('passes through anything that is not a dependency failure', () => {
    const ours = new Error('bug');
    expect(operatorErrorFor(ours, ENV, call)).toBe(ours);
  });
});
