import { Aws, CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { repoRoot } from './publisher-function';
import type { PublisherFunction } from './publisher-function';

export interface MailReceivingProps {
  /** The addresses (or domains) the rule accepts mail for. */
  recipients: readonly string[];
  bucket: s3.IBucket;
  /** Where the raw message goes (`mail/inbound/`): receiveMail reads it there by the SES message id. */
  objectKeyPrefix: string;
  /** The inbound mail function, invoked asynchronously after the object is stored. */
  receiver: PublisherFunction;
  /** Make the rule set the region's active one (replaces any other active set). */
  activate: boolean;
}

/** The rule set and rule names of a product stack (fixed: the bucket policy and the permission name the rule). */
export const receiptRuleNames = (stackName: string) => ({ ruleSet: `${stackName}-inbound`, rule: `${stackName}-support` });

/** The ARN of the stack's receipt rule, built from the fixed names (no reference, so no cycle and no cross-stack link). */
export function receiptRuleArn(stackName: string): string {
  const names = receiptRuleNames(stackName);
  return `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:receipt-rule-set/${names.ruleSet}:receipt-rule/${names.rule}`;
}

/**
 * The data bucket's statement letting SES store inbound mail under `prefix`, for this account and the
 * product stack's receipt rule only. SES checks it when the rule is created: the data stack, which holds
 * the bucket and so this statement, deploys before the product stack.
 */
export function sesStoresInboundMail(bucketArn: string, prefix: string, productStackName: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'SesStoresInboundMail',
    principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
    actions: ['s3:PutObject'],
    resources: [`${bucketArn}/${prefix}*`],
    conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': receiptRuleArn(productStackName) } },
  });
}

/**
 * Receiving support mail with SES: a receipt rule set of its own with one rule for the recipients —
 * spam and virus scanning on, TLS required — that stores the raw message under `mail/inbound/` in the
 * data bucket, then invokes the inbound function asynchronously with SES's event.
 *
 * The bucket policy (the data stack's: `sesStoresInboundMail`) lets SES write there only for this
 * account and this rule, and the function's permission only lets this rule invoke it: both name the
 * rule's ARN built from the fixed names (a reference to the rule would make the rule, which must wait for
 * them, and them depend on each other). SES checks both when the rule is created, so the rule waits for
 * the permission, and the data stack deploys first.
 *
 * SES has one active rule set per region: activating replaces whatever set is active. The activation is
 * a custom resource that activates the set only when asked (`ACTIVATE_RECEIPT_RULE_SET=true`), and
 * deactivates it only while it is still the active one: when the setting goes back to `false`, and
 * when the stack is deleted, however it was activated.
 */
export class MailReceiving extends Construct {
  readonly ruleSetName: string;
  readonly ruleName: string;
  readonly ruleSet: ses.ReceiptRuleSet;
  readonly activation: CustomResource;

  constructor(scope: Construct, id: string, props: MailReceivingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const names = receiptRuleNames(stack.stackName);
    this.ruleSetName = names.ruleSet;
    this.ruleName = names.rule;
    const ruleArn = receiptRuleArn(stack.stackName);
    const invokePermission = new lambda.CfnPermission(this, 'SesInvokesReceiver', {
      action: 'lambda:InvokeFunction',
      functionName: props.receiver.fn.functionArn,
      principal: 'ses.amazonaws.com',
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: ruleArn,
    });

    this.ruleSet = new ses.ReceiptRuleSet(this, 'RuleSet', { receiptRuleSetName: this.ruleSetName });
    const rule = this.ruleSet.addRule('Support', {
      receiptRuleName: this.ruleName,
      recipients: [...props.recipients],
      scanEnabled: true,
      tlsPolicy: ses.TlsPolicy.REQUIRE,
      enabled: true,
      actions: [
        { bind: () => ({ s3Action: { bucketName: props.bucket.bucketName, objectKeyPrefix: props.objectKeyPrefix } }) },
        { bind: () => ({ lambdaAction: { functionArn: props.receiver.fn.functionArn, invocationType: 'Event' } }) },
      ],
    });
    // The bucket policy letting SES store the message is the data stack's (sesStoresInboundMail), which
    // deploys first.
    rule.node.addDependency(invokePermission);

    // Always present, so deleting the stack deactivates the set whoever activated it (SES cannot delete
    // an active set); it activates only when asked (infra/custom-resources/rule-set-activation.ts).
    const activation = new CustomResource(this, 'Activation', {
      serviceToken: activationProvider(this).serviceToken,
      resourceType: 'Custom::ReceiptRuleSetActivation',
      properties: { RuleSetName: this.ruleSetName, Activate: props.activate ? 'true' : 'false' },
    });
    // Created after the rule, and deleted before it (and so before the set).
    activation.node.addDependency(rule);
    this.activation = activation;
    if (props.activate) {
      new CfnOutput(stack, 'ReceiptRuleSetReplaced', {
        value: activation.getAttString('Replaced'),
        description: 'The receipt rule set the activation replaced as the region\'s active one (none: none was active)',
      });
    }
  }
}

/**
 * The function behind the activation and CDK's provider framework around it (which answers
 * CloudFormation), one per stack. It runs only during deploys; its role may read and set the region's
 * active rule set and write its own logs, nothing else.
 */
function activationProvider(scope: Construct): cr.Provider {
  const stack = Stack.of(scope);
  const id = 'ReceiptRuleSetActivationProvider';
  const existing = stack.node.tryFindChild(id);
  if (existing instanceof cr.Provider) return existing;
  const holder = new Construct(stack, `${id}Parts`);
  const logGroup = new logs.LogGroup(holder, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
  const role = new iam.Role(holder, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'Reads and sets the region\'s active SES receipt rule set during deploys',
  });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ses:DescribeActiveReceiptRuleSet', 'ses:SetActiveReceiptRuleSet'], resources: ['*'] }));
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ses:DescribeActiveReceiptRuleSet and ses:SetActiveReceiptRuleSet have no resource-level permissions: IAM accepts only * for them (the only actions besides its own logs).',
  });
  const onEvent = new NodejsFunction(holder, 'Fn', {
    entry: join(repoRoot, 'infra', 'custom-resources', 'rule-set-activation.ts'),
    handler: 'handler',
    projectRoot: repoRoot,
    depsLockFilePath: join(repoRoot, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: Duration.seconds(30),
    description: 'Activates or deactivates the stack\'s SES receipt rule set (deploys only)',
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    environment: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    bundling: { minify: true, sourceMap: false, target: 'node24', format: OutputFormat.CJS, bundleAwsSDK: true },
  });
  // The framework's own role, instead of the AWS-managed basic execution role (which may write to any
  // log group): its logs, and invoking the function above (the provider adds that grant).
  const frameworkRole = new iam.Role(holder, 'FrameworkRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'CDK provider framework: invokes the rule set activation function during deploys',
  });
  frameworkRole.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  const provider = new cr.Provider(stack, id, { onEventHandler: onEvent, logGroup, frameworkOnEventRole: frameworkRole });
  Validations.of(frameworkRole).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(onEvent.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
    reason: "CDK's provider framework may invoke every version of the activation function (its ARN followed by :*); it invokes nothing else.",
  });
  return provider;
}
