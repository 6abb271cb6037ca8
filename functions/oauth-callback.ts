import * as z from '../shared/zod';
import { clearedNonceCookie } from '../shared/domain/oauth';
import { httpHandler } from '../shared/http/handler';
import { clientLimiter, safeSecurityLog } from '../shared/wiring';
import { noBody, queryParams } from '../shared/http/input';
import { page } from '../shared/http/pages';
import { requestFacts } from '../shared/http/request-facts';
import type { HttpResult } from '../shared/http/responses';
import { completeCallback, type CallbackOutcome } from '../shared/use-cases/oauth-callback';
import { callbackDeps } from '../shared/wiring-pinterest';

// Pinterest's redirect; unknown parameters are ignored, oversized ones refused.
const text = z.optional(z.string().check(z.maxLength(2048)));
const query = z.object({ code: text, state: text, error: text, error_description: text });

/** The answer page for each outcome. Never echoes code or state; links nowhere but our own text. */
function render(outcome: CallbackOutcome): HttpResult {
  const cleared = [clearedNonceCookie()];
  switch (outcome.kind) {
    case 'connected':
    case 'pending_confirmation':
    case 'missing_scopes': {
      const { account } = outcome;
      const lines = [`Pinterest ${account.environment} account @${account.username} (id ${account.accountId}) is connected.`];
      if (outcome.kind === 'pending_confirmation') lines.push('Confirm it is the intended account from your operator client (POST /account/confirm with this id) before publishing.');
      if (outcome.kind === 'missing_scopes') lines.push(`Pinterest did not grant ${outcome.missing.join(', ')}; publishing stays blocked until you connect again and allow them.`);
      return page(200, 'Pinterest connected', lines, {}, cleared);
    }
    case 'declined':
      return page(200, 'Pinterest connection declined', [`Pinterest reported: ${outcome.error}${outcome.description ? ` (${outcome.description})` : ''}. Nothing was stored. Start again from your operator client if this was a mistake.`], {}, cleared);
    case 'invalid_request':
      return page(400, 'This sign-in cannot be completed', [invalidReason[outcome.reason], 'Nothing was stored. Start again from your operator client.'], {}, cleared);
    case 'wrong_account':
      return page(403, 'Not the expected Pinterest account', [`You signed in to Pinterest as @${outcome.username} (id ${outcome.accountId}), which is not the account this publisher is set up for. Nothing was stored. Sign out of Pinterest, sign in to the intended account and start again.`], {}, cleared);
    case 'pinterest_failed':
      return page(502, 'Pinterest could not complete the connection', [`${outcome.reason}. Nothing was stored. Try again in a few minutes.`], {}, cleared);
    case 'conflict':
      return page(409, 'Another connection finished at the same time', ['Nothing from this attempt was stored. Check the account from your operator client.'], {}, cleared);
  }
}

const invalidReason = {
  missing_state: 'The request from Pinterest carried no state.',
  unknown_state: 'This sign-in link is unknown, was already used, or has expired.',
  wrong_browser: 'This sign-in was started in another browser (or its cookie is missing). Open the connect link exactly as it was given, in the browser you finish in: on another host name (localhost instead of 127.0.0.1) the cookie is not sent back.',
  missing_code: 'Pinterest sent no authorization code.',
  repeated_parameter: 'The request from Pinterest carried a parameter more than once.',
} as const satisfies Record<Extract<CallbackOutcome, { kind: 'invalid_request' }>['reason'], string>;

/** GET /oauth/callback (public): Pinterest's redirect; this function is the token-exchange Lambda. */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const q = queryParams(event, query);
  const outcome = await completeCallback(callbackDeps(), { query: q, cookies: event.cookies, request: requestFacts(event) });
  return render(outcome);
}, { securityLog: safeSecurityLog, answers: 'page', clientLimiter });
