import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { basename, join } from 'node:path';
import type { FunctionSpec } from '../../shared/routes';

export const repoRoot = join(__dirname, '..', '..');

export interface PublisherFunctionProps {
  spec: FunctionSpec;
  /** Application settings every function receives (validated by the stack). */
  settings: Record<string, string>;
  logRetention: logs.RetentionDays;
  /**
   * Invoked asynchronously (by SES, EventBridge or another function): an event that still fails after
   * Lambda's retries goes to a queue of its own (`failures`), which the stack alarms on.
   */
  asynchronous?: boolean;
  /**
   * A fixed physical name, for a function others (or it itself) invoke: their bindings and grants
   * name it as a plain string, since a reference to the function would make a caller that is also
   * invoked (a job re-invoking itself, two functions invoking each other) a CloudFormation cycle.
   */
  functionName?: string;
}

/**
 * A product Lambda: Node.js 24 on arm64, bundled locally by esbuild (minified, names kept, the AWS
 * SDK version the tests ran bundled in), its own log group with a fixed retention, and a role that
 * starts with nothing but writing to that log group. Grants are added by `bind` (infra/bind.ts).
 */
export class PublisherFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The fixed name given in the props, if any (infra/bind.ts needs one for every function invoked). */
  readonly physicalName: string | undefined;
  /** Where asynchronous events that failed every attempt go (asynchronous functions only). */
  readonly failures: sqs.Queue | undefined;

  constructor(scope: Construct, id: string, props: PublisherFunctionProps) {
    super(scope, id);
    const { spec } = props;
    this.physicalName = props.functionName;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to any log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${id}: ${spec.description}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    const assets = spec.assets ?? [];
    this.failures =
      props.asynchronous === true
        ? new sqs.Queue(this, 'Failures', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) })
        : undefined;
    if (this.failures !== undefined) {
      Validations.of(this.failures).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself the failure destination of the function (events that failed every retry); nothing consumes it to need one of its own.',
      });
    }
    if (this.failures !== undefined) {
      this.role.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.failures.queueArn] }));
    }
    this.fn = new NodejsFunction(this, 'Fn', {
      ...(props.functionName === undefined ? {} : { functionName: props.functionName }),
      entry: join(repoRoot, spec.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb,
      ...(spec.asyncSource === undefined
        ? {}
        : { retryAttempts: spec.asyncSource.retryAttempts, maxEventAge: Duration.seconds(spec.asyncSource.maxEventAgeSeconds) }),
      // Lambda sends a failed event with the function's role: SendMessage on this queue only (CDK's
      // SqsDestination would also grant GetQueueAttributes and GetQueueUrl, which Lambda never calls).
      ...(this.failures === undefined ? {} : { onFailure: { bind: () => ({ destination: (this.failures as sqs.Queue).queueArn }) } }),
      timeout: Duration.seconds(spec.timeoutSeconds),
      description: spec.description,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ...props.settings,
        POWERTOOLS_SERVICE_NAME: 'mdz-publisher',
        // The product metrics' deployment dimension (shared/metrics.ts): this deployment's own alarms.
        DEPLOYMENT_NAME: Stack.of(this).stackName,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      // Readable stack traces without source maps: minified, but every function keeps its name
      // (`--keep-names`; V8 prints the `name` in stack frames). `--enable-source-maps` measured up to
      // +8 % load on Node 24; kept names cost +7 % bytes and no measurable load (docs/development.md,
      // "Performance").
      bundling: {
        minify: true,
        sourceMap: false,
        esbuildArgs: { '--keep-names': true },
        target: 'node24',
        format: OutputFormat.CJS,
        bundleAwsSDK: true,
        ...(assets.length === 0
          ? {}
          : {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  assets.map((asset) => `cp "${join(inputDir, asset)}" "${join(outputDir, basename(asset))}"`),
              },
            }),
      },
    });
    // The permission for the service that invokes an `asyncSource` function is given by what connects
    // it (infra/constructs/mail-receiving.ts: SES, for this account's receipt rule only).
  }
}
