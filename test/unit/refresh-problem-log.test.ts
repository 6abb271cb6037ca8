import '../support/log-everything';
import { deploymentName, TOKEN_REFRESH_PROBLEM_MESSAGE } from '../../shared/metrics';
import { tokenDeps } from '../../shared/wiring-tokens';
import { captureOutput } from '../support/output-capture';

/**
 * Each token-lifecycle problem the token source logs to the security log is also one JSON log line
 * whose `message` the stack's metric filter matches (`{ $.message = "token refresh problem" }`, infra/
 * constructs/operations.ts), feeding the TokenRefreshProblems alarm; a successful refresh writes none.
 * The security-log write itself goes to a table that does not exist here (a failure the safe log
 * reports and swallows).
 */

async function linesWhile(fn: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  return (await captureOutput(fn))
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(() => {
  Object.assign(process.env, { AUDIT_TABLE: 'refresh-problem-log-no-such-table', SECRET_PREFIX: 'refresh-problem-log/' });
});

describe('token refresh problems in the function log', () => {
  it.each([
    ['server_error', 'refresh_failed'],
    ['server_error', 'refresh_token_lost'],
    ['denied', 'reauthorization_required'],
  ] as const)('an %s entry (%s) also writes one line the metric filter counts', async (outcome, step) => {
    const lines = await linesWhile(() =>
      tokenDeps().securityLog.write({ kind: 'account', outcome, errorCode: step, detail: { environment: 'sandbox', accountId: '1000000000000000001', step } }),
    );
    const counted = lines.filter((line) => line.message === TOKEN_REFRESH_PROBLEM_MESSAGE);
    expect(counted).toHaveLength(1);
    // The deployment's name is the metric's dimension (the stack sets DEPLOYMENT_NAME; none here).
    expect(counted[0]).toMatchObject({ level: 'WARN', environment: 'sandbox', step, deployment: 'local' });
    // The account id is not needed to count a problem, and stays out of the line.
    expect(JSON.stringify(counted[0])).not.toContain('1000000000000000001');
  });

  it('names the deployment the stack set (DEPLOYMENT_NAME), or `local`', () => {
    expect(deploymentName({ DEPLOYMENT_NAME: 'MiraDigitalZenPublisher' })).toBe('MiraDigitalZenPublisher');
    expect(deploymentName({ DEPLOYMENT_NAME: '' })).toBe('local');
    expect(deploymentName({})).toBe('local');
  });

  it('a successful refresh writes no such line', async () => {
    const lines = await linesWhile(() => tokenDeps().securityLog.write({ kind: 'account', outcome: 'ok', detail: { environment: 'sandbox', accountId: '1', step: 'refreshed' } }));
    expect(lines.filter((line) => line.message === TOKEN_REFRESH_PROBLEM_MESSAGE)).toEqual([]);
  });
});
