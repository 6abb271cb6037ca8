import { compactLine } from '../../shared/observability/logger';

/** The local log format: one short line per request, nothing sensitive, nothing noisy. */
describe('compact local log lines', () => {
  const at = '2026-12-01T15:04:05.678Z';

  it('prints a request as time, method, path, status, duration and any error code', () => {
    expect(compactLine('INFO', { timestamp: at, message: 'request completed', method: 'POST', path: '/oauth/start', status: 409, durationMs: 12, errorCode: 'not_configured' })).toBe(
      '15:04:05 POST /oauth/start 409 12ms not_configured',
    );
    expect(compactLine('INFO', { timestamp: at, message: 'request completed', method: 'GET', path: '/health', status: 200, durationMs: 0 })).toBe('15:04:05 GET /health 200 0ms');
  });

  it('prints a Pinterest call indented under its request', () => {
    expect(compactLine('INFO', { timestamp: at, message: 'pinterest call', environment: 'sandbox', method: 'POST', path: '/v5/oauth/token', status: 200, durationMs: 31 })).toBe(
      '15:04:05   → Pinterest sandbox POST /v5/oauth/token 200 31ms',
    );
  });

  it('prints warnings and errors with their reason, scrubbed of tokens', () => {
    const line = compactLine('ERROR', { timestamp: at, message: 'request failed', error: new Error('refresh with pinr_abcdefghijklmnop failed') });
    expect(line).toBe('15:04:05 ERROR request failed: refresh with [REDACTED] failed');
    expect(compactLine('WARN', { timestamp: at, message: 'slow', error: { message: 'Bearer abcdefghijklmnopq' } })).toBe('15:04:05 WARN slow: Bearer [REDACTED]');
  });

  it('leaves out debug lines and the refusal detail already on the request line', () => {
    expect(compactLine('DEBUG', { timestamp: at, message: 'anything' })).toBeUndefined();
    expect(compactLine('INFO', { timestamp: at, message: 'request refused', errorCode: 'validation_failed', status: 400 })).toBeUndefined();
  });
});
