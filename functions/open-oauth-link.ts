import * as z from '../shared/zod';
import { nonceCookie } from '../shared/domain/oauth';
import { httpHandler } from '../shared/http/handler';
import { clientLimiter, safeSecurityLog } from '../shared/wiring';
import { noBody, queryParams } from '../shared/http/input';
import { page } from '../shared/http/pages';
import { requestFacts } from '../shared/http/request-facts';
import { openStartLink } from '../shared/use-cases/oauth-start';
import { connectDeps } from '../shared/wiring-connect';

const query = z.object({ ticket: z.optional(z.string().check(z.maxLength(200))) });

/**
 * GET /oauth/start?ticket=… (public, opened in the operator's browser): turns the one-time ticket into
 * a browser-binding cookie and a 302 to Pinterest's authorize page.
 */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const { ticket } = queryParams(event, query);
  const outcome = await openStartLink(connectDeps(), ticket, requestFacts(event));
  if (outcome.kind === 'invalid_link') {
    return page(400, 'This connect link cannot be used', ['This connect link is invalid, was already used, or has expired. Ask for a new one.']);
  }
  return {
    statusCode: 302,
    headers: { Location: outcome.location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
    cookies: [nonceCookie(outcome.nonce, outcome.cookieMaxAgeSeconds)],
    body: '',
  };
}, { securityLog: safeSecurityLog, answers: 'page', clientLimiter });
