/**
 * The product's CloudWatch metrics, named once for the code that emits them (embedded metric format
 * lines) and the stack that alarms on them.
 */
export const METRICS_NAMESPACE = 'MiraDigitalZenPublisher';

/** Pin records `publishing` or `needs_reconcile` for longer than STUCK_AFTER_MINUTES (emitted every 5 minutes by the sweeper). */
export const STUCK_METRIC = 'StuckPinRecords';

/** The dimension every product metric carries (Powertools' service name). */
export const METRICS_SERVICE = 'publisher';

/**
 * The dimension naming the deployment (its stack name, in DEPLOYMENT_NAME, which the stack sets on every
 * function; `local` under `npm start`): two deployments in one account and region keep apart metrics.
 */
export const DEPLOYMENT_DIMENSION = 'deployment';
export function deploymentName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.DEPLOYMENT_NAME;
  return name === undefined || name === '' ? 'local' : name;
}

/** Token refresh problems (a failed refresh, a lost refresh token, a revoked grant), counted from log lines. */
export const TOKEN_REFRESH_PROBLEMS = 'TokenRefreshProblems';
/** The `message` of the log line each token refresh problem writes (a metric filter counts them). */
export const TOKEN_REFRESH_PROBLEM_MESSAGE = 'token refresh problem';
