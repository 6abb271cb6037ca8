import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { DEPLOYMENT_DIMENSION, METRICS_NAMESPACE, TOKEN_REFRESH_PROBLEM_MESSAGE, TOKEN_REFRESH_PROBLEMS } from '../../shared/metrics';
import type { FunctionId } from '../../shared/routes';
import type { PublisherFunction } from './publisher-function';

export interface OperationsProps {
  functions: Record<FunctionId, PublisherFunction>;
  /**
   * The functions invoked asynchronously (by SES, EventBridge or another function): each has an alarm
   * of its own. Every other function answers the HTTP API, whose 5xx alarm covers it.
   */
  asynchronous: ReadonlySet<FunctionId>;
  /** The HTTP API: every routed function and the authorizer answer through it. */
  httpApi: apigw.IHttpApi;
  /** Functions that refresh tokens (every function calling Pinterest goes through the token source). */
  tokenFunctions: readonly FunctionId[];
  /** OPERATOR_NOTIFY_EMAIL: alarms are mailed there (SNS asks the address to confirm first). */
  notifyEmail: string;
  /** The sweeper's StuckPinRecords metric (maximum over 15 minutes). */
  stuckPinRecords: cloudwatch.IMetric;
}

/**
 * Any token-refresh problem in a day raises the alarm: while refreshing keeps failing, the daily schedule
 * tries once a day, so a higher count would rarely be reached at one operator's volume. It clears after
 * a day without one.
 */
const REFRESH_PROBLEMS_ALARM = 1;

/**
 * What tells the operator something needs a look, by mail through one SNS topic:
 * - any 5xx the HTTP API answered in five minutes: a routed function's (or the authorizer's) crash,
 *   timeout or throttle, and also the internal errors the handlers answer with a 500 themselves (which
 *   Lambda's Errors metric never counts) and a 502 when Pinterest failed a call. One alarm for all the
 *   functions behind the API: per-function alarms on Lambda's metrics would cost 72 alarm metrics and
 *   still miss the handled 500s;
 * - an asynchronous function's errors or throttles (any in five minutes), one alarm per function;
 * - an asynchronous function's failure queue holding an event (it failed every retry);
 * - Pin records stuck outside a terminal state (StuckPinRecords ≥ 1);
 * - a token refresh problem in the last day (TOKEN_REFRESH_PROBLEMS, counted from the functions' log lines).
 * An alarm mails again when it clears (OK), so the operator knows it is over.
 */
export class Operations extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', { displayName: 'MiraDigitalZen Publisher alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key costs a monthly fee for alarm texts that hold no personal data (function and metric names only).',
    });
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.notifyEmail));
    const action = new cwActions.SnsAction(this.topic);
    const alarm = (name: string, alarmProps: cloudwatch.AlarmProps) => {
      // Named after the stack and what it watches: the name is the subject of the mail.
      const made = new cloudwatch.Alarm(this, name, { alarmName: `${Stack.of(this).stackName}-${name}`, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...alarmProps });
      made.addAlarmAction(action);
      made.addOkAction(action);
      this.alarms.push(made);
      return made;
    };

    const period = Duration.minutes(5);
    alarm('ApiServerErrors', {
      alarmDescription:
        'The API answered a 5xx in the last five minutes: an internal error (its requestId is in the answer and the function\'s log), a function that failed, timed out or was throttled, or Pinterest failing a call (502). The API access log has the status and route of each request.',
      metric: props.httpApi.metricServerError({ period, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    for (const [fnId, target] of Object.entries(props.functions) as [FunctionId, PublisherFunction][]) {
      if (!props.asynchronous.has(fnId)) continue;
      alarm(`${fnId}Errors`, {
        alarmDescription: `${fnId}: errors or throttles in the last five minutes (its log group has the details)`,
        metric: new cloudwatch.MathExpression({
          // A window with throttles only has no Errors datapoint (and the other way round): fill with 0.
          expression: 'FILL(errors, 0) + FILL(throttles, 0)',
          usingMetrics: { errors: target.fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }), throttles: target.fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }) },
          period,
          label: `${fnId} errors and throttles`,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      if (target.failures !== undefined) {
        alarm(`${fnId}FailedEvents`, {
          alarmDescription: `${fnId}: an asynchronous event failed every retry and waits in its failure queue (${target.failures.node.path})`,
          metric: target.failures.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        });
      }
    }

    alarm('StuckPinRecords', {
      alarmDescription: 'Pin records publishing or needs_reconcile for longer than STUCK_AFTER_MINUTES: GET /pins?status=needs_reconcile',
      metric: props.stuckPinRecords,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    // Each refresh problem is one JSON log line (shared/use-cases/token-refresh.ts); a metric filter on
    // every function that may refresh counts them into one metric.
    for (const fnId of props.tokenFunctions) {
      new logs.MetricFilter(this, `${fnId}RefreshProblems`, {
        logGroup: props.functions[fnId].logGroup,
        filterPattern: logs.FilterPattern.stringValue('$.message', '=', TOKEN_REFRESH_PROBLEM_MESSAGE),
        metricNamespace: METRICS_NAMESPACE,
        metricName: TOKEN_REFRESH_PROBLEMS,
        metricValue: '1',
        // Per deployment, from the line's own field (a metric filter with dimensions has no default value).
        dimensions: { [DEPLOYMENT_DIMENSION]: `$.${DEPLOYMENT_DIMENSION}` },
      });
    }
    alarm('TokenRefreshProblems', {
      alarmDescription: 'A Pinterest token refresh failed, a refresh token was lost or access was revoked in the last day: GET /account, GET /audit?kind=account',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: TOKEN_REFRESH_PROBLEMS,
        dimensionsMap: { [DEPLOYMENT_DIMENSION]: Stack.of(this).stackName },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.days(1),
      }),
      threshold: REFRESH_PROBLEMS_ALARM,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }
}
