import type middy from '@middy/core';
import type { HttpResult } from './responses';

// Written here rather than taken from @middy/http-security-headers: its defaults add placeholder
// Report-To / Reporting-Endpoints headers that its typed options cannot switch off. This set is
// small, fixed and reviewed in one place.
const everyResponse: Record<string, string> = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Permitted-Cross-Domain-Policies': 'none',
};

// Pages may not run scripts, be framed, or post anywhere but here; inline styles only.
const htmlResponse: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

export function withSecurityHeaders(response: HttpResult): HttpResult {
  const contentType = Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  const extra = contentType.startsWith('text/html') ? htmlResponse : {};
  // A handler's own value wins (e.g. a stricter Referrer-Policy); the defaults fill the rest.
  return { ...response, headers: { ...everyResponse, ...extra, ...response.headers } };
}

/** Adds the headers to every answer, errors included (it runs after the error handler's mapping). */
export const securityHeaders = (): middy.MiddlewareObj<unknown, HttpResult> => ({
  after: (request) => {
    if (request.response) request.response = withSecurityHeaders(request.response);
  },
  onError: (request) => {
    if (request.response) request.response = withSecurityHeaders(request.response);
  },
});
