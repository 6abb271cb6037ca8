import { functionSpecs, routes } from '../../shared/routes';
import { boardCallDeps } from '../../shared/wiring-board-calls';
import { PINTEREST_TIMEOUT_MS } from '../../shared/wiring-pinterest';
import { publishDeps } from '../../shared/wiring-publish';
import { reconcileDeps } from '../../shared/wiring-reconcile';
import { TOKEN_WAIT_WITHIN_DEADLINE_MS } from '../../shared/wiring-tokens';

/**
 * Every function behind an API route that calls Pinterest waits at most TOKEN_WAIT_WITHIN_DEADLINE_MS
 * for another container's token refresh (instead of the 90 s lease), so its worst serial path — the
 * wait, a call, a refresh, the call again — fits in its timeout, which fits in API Gateway's 30 s.
 */

beforeAll(() => {
  // Bindings only: the deps are built, never used.
  Object.assign(process.env, {
    STATE_TABLE: 'deadline-state',
    WORKFLOW_TABLE: 'deadline-workflow',
    AUDIT_TABLE: 'deadline-audit',
    DATA_BUCKET: 'deadline-data',
    SECRET_PREFIX: 'deadline/',
  });
});

describe('the token source of functions with a deadline', () => {
  it.each([
    ['board calls (sections, creation, the sync job)', () => boardCallDeps().tokens.settings.waitLimitMs],
    ['reconciliation (check, resolve, the sweeper and the schedule)', () => reconcileDeps().tokens.settings.waitLimitMs],
    ['publishing', () => publishDeps().tokens.settings.waitLimitMs],
  ])('%s waits at most 4 s for another refresh', (_, waitLimit) => {
    expect(waitLimit()).toBe(TOKEN_WAIT_WITHIN_DEADLINE_MS);
  });

  it('gives every routed function that calls Pinterest time for the wait, a call, a refresh and the call again', () => {
    const routed = [...new Set(routes.map((route) => route.fn))].filter((fnId) => (functionSpecs[fnId] as { callsPinterest?: true }).callsPinterest === true);
    expect(routed.length).toBeGreaterThan(3);
    for (const fnId of routed) {
      // The callback makes two calls with the code and the new token (no refresh to wait for).
      const worstMs = fnId === 'oauthCallback' ? 2 * PINTEREST_TIMEOUT_MS : TOKEN_WAIT_WITHIN_DEADLINE_MS + 3 * PINTEREST_TIMEOUT_MS;
      expect({ fnId, fits: worstMs < functionSpecs[fnId].timeoutSeconds * 1000 }).toEqual({ fnId, fits: true });
    }
  });
});
