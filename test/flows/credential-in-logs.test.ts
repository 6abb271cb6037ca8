import '../support/log-everything';
import { buildHttpApiEvent } from '../../local/api-event';
import { AuthorizerGate, authorizerEvent } from '../../local/authorizer-gate';
import { invoke } from '../../local/lambda-runtime';
import { callFunction } from '../support/http';
import { captureOutput } from '../support/output-capture';

/**
 * The operator credential reaches no log line whatever format it is sent in, even with Powertools'
 * event logging switched on (POWERTOOLS_LOGGER_LOG_EVENT=true) and the DEBUG level: the authorizer
 * and every HTTP function see the Authorization header, and the authorizer's event repeats it in
 * `identitySource`.
 */

// The credential the global setup stored (test/support/global-setup.ts).
const CREDENTIAL = 'test-operator-credential-0123456789abcdef';


const odd = [
  ['Token X', `Token ${CREDENTIAL}`],
  ['bare X', CREDENTIAL],
  ['Bearer:X', `Bearer:${CREDENTIAL}`],
  ['two values joined', `Bearer ${CREDENTIAL},Bearer another-value-0123456789`],
  ['Bearer X (accepted)', `Bearer ${CREDENTIAL}`],
] as const;

function authorizerEventFor(authorization: string) {
  return authorizerEvent(buildHttpApiEvent({ method: 'GET', url: '/account', headers: { authorization }, routeKey: 'GET /account' }), authorization);
}

describe('the operator credential in logs, with event logging on', () => {
  it.each(odd)('the authorizer never logs it when sent as %s', async (_label, authorization) => {
    let answer: unknown;
    const out = await captureOutput(async () => {
      answer = await invoke('authorizeOperator', authorizerEventFor(authorization));
    });
    expect(answer).toHaveProperty('isAuthorized');
    expect(out).not.toContain(CREDENTIAL);
  });

  it.each(odd)('an operator route never logs it when sent as %s', async (_label, authorization) => {
    const out = await captureOutput(() => callFunction('getAccount', { method: 'GET', url: '/account', headers: { authorization } }));
    // Lines were written (the request line at least), and none holds the credential.
    expect(out).toContain('request completed');
    expect(out).not.toContain(CREDENTIAL);
  });

  it('the local gateway refuses the odd formats and logs none of them', async () => {
    const gate = new AuthorizerGate();
    for (const [, authorization] of odd) {
      const out = await captureOutput(async () => {
        const outcome = await gate.check(buildHttpApiEvent({ method: 'GET', url: '/account', headers: { authorization }, routeKey: 'GET /account' }));
        expect('status' in outcome ? outcome.status : 200).toBe(authorization === `Bearer ${CREDENTIAL}` ? 200 : 403);
      });
      expect(out).not.toContain(CREDENTIAL);
    }
  });
});
