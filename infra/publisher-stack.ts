import { Aws, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { loadSettings, settingsSchema } from '../shared/config';
import { DEPLOYMENT_DIMENSION, METRICS_NAMESPACE, METRICS_SERVICE, STUCK_METRIC } from '../shared/metrics';
import { functionSpecs, schedules, type FunctionId, type FunctionSpec } from '../shared/routes';
import { DEFAULT_SECRET_PREFIX } from '../shared/secrets';
import { tableList, type TableName } from '../shared/tables';
import { bind, invokedFunctionName, invokedFunctions } from './bind';
import { dataNames, dataStackName, PublisherDataStack } from './data-stack';
import { Api } from './constructs/api';
import { bucketPrefixes, type Data } from './constructs/data';
import { MailReceiving, sesStoresInboundMail } from './constructs/mail-receiving';
import { Operations } from './constructs/operations';
import { PublisherFunction } from './constructs/publisher-function';
import { Schedules } from './constructs/schedules';

export interface PublisherStackProps extends StackProps {
  /**
   * Application settings (shared/config.ts), passed unchanged to every function. When
   * PUBLIC_BASE_URL is absent the API's own execute-api URL is used.
   */
  settings: Record<string, string>;
  /** Prefix of every secret this deployment owns. */
  secretPrefix?: string;
}

/** Smallest CloudWatch retention that keeps logs at least `days` days. */
export function retentionFor(days: number): logs.RetentionDays {
  const allowed = (Object.values(logs.RetentionDays) as unknown[])
    .filter((value): value is number => typeof value === 'number' && value > 0)
    .sort((a, b) => a - b);
  const found = allowed.find((value) => value >= days);
  // RetentionDays is a numeric enum whose values are the day counts themselves.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
  return found ?? logs.RetentionDays.INFINITE;
}

/** Checks the settings before anything is built, so a typo fails `cdk synth` naming the variable. */
function validateSettings(raw: Record<string, string>) {
  const known = new Set(Object.keys(settingsSchema.shape));
  const unknown = Object.keys(raw).filter((name) => !known.has(name));
  if (unknown.length > 0) throw new Error(`Unknown settings: ${unknown.join(', ')} (see the settings table in docs/configuration.md)`);
  return loadSettings({ PUBLIC_BASE_URL: 'https://placeholder.invalid', ...raw });
}

/**
 * The product: every function, the API, the schedules, mail receiving and the alarms. Its data (tables
 * and bucket) lives in a stack of its own beside it (infra/data-stack.ts, named `<id>-Data`), which this
 * constructor creates in the same app, so a teardown of the product keeps the data and the next deploy
 * takes it back.
 */
export class PublisherStack extends Stack {
  readonly api: Api;
  readonly dataStack: PublisherDataStack;
  /** The data stack's tables and bucket (to read its template by); the functions use `tables` and `bucket`. */
  readonly data: Data;
  /** The tables and the bucket as this stack refers to them: by their fixed names. */
  readonly tables: Record<TableName, dynamodb.ITable>;
  readonly bucket: s3.IBucket;
  readonly mail: MailReceiving;
  readonly operations: Operations;
  readonly functions: Record<FunctionId, PublisherFunction>;
  /**
   * Pin records stuck outside a terminal state (the sweeper's embedded metric, every 5 minutes): the
   * maximum over 15 minutes, for the deployment's alarm.
   */
  readonly stuckPinRecords: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: PublisherStackProps) {
    super(scope, id, props);
    const settings = validateSettings(props.settings);
    const logRetention = retentionFor(settings.RETENTION_SECURITY_LOG_DAYS);

    const secretPrefix = props.secretPrefix ?? DEFAULT_SECRET_PREFIX;
    // The stack's own name (as the rule and the alarms use it), which a prop or a Stage may set apart from the id.
    const names = dataNames(this.stackName, this.account, this.region);
    this.dataStack = new PublisherDataStack(scope, dataStackName(this.stackName), {
      ...(props.env === undefined ? {} : { env: props.env }),
      description: `${props.description ?? id}: data (tables and bucket, kept when the product stack is torn down)`,
      data: {
        names,
        mailRetentionDays: settings.RETENTION_SUPPORT_DAYS,
        quarantineRetentionDays: settings.RETENTION_QUARANTINE_DAYS,
        exportRetentionDays: settings.RETENTION_EXPORT_DAYS,
        bucketStatements: [sesStoresInboundMail(`arn:${Aws.PARTITION}:s3:::${names.bucket}`, bucketPrefixes.mail, this.stackName)],
      },
    });
    this.addStackDependency(this.dataStack, 'its functions use the tables and the bucket, and SES needs the bucket policy before the receipt rule');
    this.data = this.dataStack.data;
    this.tables = Object.fromEntries(
      tableList.map((def) => [
        def.name,
        dynamodb.Table.fromTableAttributes(this, `${def.name}Table`, { tableName: names.tables[def.name], globalIndexes: def.indexes.map((index) => index.name) }),
      ]),
    ) as Record<TableName, dynamodb.ITable>;
    this.bucket = s3.Bucket.fromBucketName(this, 'DataBucket', names.bucket);
    // Every function first, then the grants: an `invokes` grant names another function (or itself).
    // A function something invokes gets a fixed name, which its callers' grants and bindings use.
    const invoked = new Set(invokedFunctions(functionSpecs));
    // Invoked asynchronously: by a service (SES), by another function, or by a schedule (EventBridge).
    const asynchronous = new Set<FunctionId>([
      ...(invoked as Set<FunctionId>),
      ...schedules.map((schedule) => schedule.fn),
      ...(Object.keys(functionSpecs) as FunctionId[]).filter((fnId) => (functionSpecs[fnId] as FunctionSpec).asyncSource !== undefined),
    ]);
    const built = {} as Record<FunctionId, PublisherFunction>;
    const specEntries = Object.entries(functionSpecs) as [FunctionId, (typeof functionSpecs)[FunctionId]][];
    for (const [fnId, spec] of specEntries) {
      built[fnId] = new PublisherFunction(this, fnId, {
        spec,
        settings: props.settings,
        logRetention,
        ...(invoked.has(fnId) ? { functionName: invokedFunctionName(this, fnId) } : {}),
        asynchronous: asynchronous.has(fnId),
      });
    }
    const resources = {
      tables: this.tables,
      bucket: this.bucket,
      secretPrefix,
      senderEmail: settings.SENDER_EMAIL,
      supportEmail: settings.SUPPORT_EMAIL,
      functions: built,
    };
    for (const [fnId, spec] of specEntries) bind(built[fnId], spec.grants, resources);
    this.functions = built;

    this.stuckPinRecords = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: STUCK_METRIC,
      dimensionsMap: { service: METRICS_SERVICE, [DEPLOYMENT_DIMENSION]: this.stackName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(15),
    });

    this.api = new Api(this, 'Api', { functions: built, logRetention });
    this.mail = new MailReceiving(this, 'MailReceiving', {
      recipients: (settings.RECEIVE_MAIL_FOR ?? settings.SUPPORT_EMAIL).split(',').map((part) => part.trim()),
      bucket: this.bucket,
      objectKeyPrefix: bucketPrefixes.mail,
      receiver: built.receiveMail,
      activate: settings.ACTIVATE_RECEIPT_RULE_SET,
    });
    new Schedules(this, 'Schedules', { schedules, functions: built });
    this.operations = new Operations(this, 'Operations', {
      functions: built,
      asynchronous,
      httpApi: this.api.httpApi,
      tokenFunctions: (Object.keys(functionSpecs) as FunctionId[]).filter((fnId) => (functionSpecs[fnId] as FunctionSpec).callsPinterest === true),
      notifyEmail: settings.OPERATOR_NOTIFY_EMAIL,
      stuckPinRecords: this.stuckPinRecords,
    });
    const baseUrl = props.settings.PUBLIC_BASE_URL ?? this.api.httpApi.apiEndpoint;
    if (props.settings.PUBLIC_BASE_URL === undefined) {
      for (const target of Object.values(built)) target.fn.addEnvironment('PUBLIC_BASE_URL', baseUrl);
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.httpApi.apiEndpoint, description: 'The HTTP API endpoint' });
    new CfnOutput(this, 'PublicBaseUrl', { value: baseUrl, description: 'Base of every link the product hands out' });
    new CfnOutput(this, 'OAuthRedirectUri', {
      value: `${baseUrl}/oauth/callback`,
      description: 'Register this exact URI in the Pinterest app (My apps → Configure → Redirect URIs)',
    });
  }
}
