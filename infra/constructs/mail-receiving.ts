import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { PublisherFunction } from './publisher-function';

export interface MailReceivingProps {
  /** The addresses (or domains) the rule accepts mail for. */
  recipients: readonly string[];
  bucket: s3.Bucket;
  /** Where the raw message goes (`mail/inbound/`): receiveMail reads it there by the SES message id. */
  objectKeyPrefix: string;
  /** The inbound mail function, invoked asynchronously after the object is stored. */
  receiver: PublisherFunction;
  /** Make the rule set the region's active one (replaces any other active set). */
  activate: boolean;
}

/**
 * Receiving support mail with SES: a receipt rule set of its own with one rule for the recipients —
 * spam and virus scanning on, TLS required — that stores the raw message under `mail/inbound/` in the
 * data bucket, then invokes the inbound function asynchronously with SES's event.
 *
 * The bucket policy lets SES write there only for this account and this rule, whose ARN is built from
 * the fixed names (a reference to the rule would make the rule, which must wait for the policy, and the
 * policy depend on each other). SES checks both permissions when the rule is created, so the rule waits
 * for the bucket policy and the function's permission.
 *
 * SES has one active rule set per region: activating replaces whatever set is active. The activation is
 * a custom resource, made only when asked (`ACTIVATE_RECEIPT_RULE_SET=true`); deleting it (or the stack)
 * deactivates the set.
 */
export class MailReceiving extends Construct {
  readonly ruleSetName: string;
  readonly ruleName: string;
  readonly ruleSet: ses.ReceiptRuleSet;

  constructor(scope: Construct, id: string, props: MailReceivingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.ruleSetName = `${stack.stackName}-inbound`;
    this.ruleName = `${stack.stackName}-support`;
    const ruleArn = `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:receipt-rule-set/${this.ruleSetName}:receipt-rule/${this.ruleName}`;

    props.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SesStoresInboundMail',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [props.bucket.arnForObjects(`${props.objectKeyPrefix}*`)],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': ruleArn } },
      }),
    );
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
    const policy = props.bucket.policy;
    if (policy !== undefined) rule.node.addDependency(policy);
    rule.node.addDependency(invokePermission);

    if (props.activate) {
      const activation = new cr.AwsCustomResource(this, 'Activate', {
        onUpdate: {
          service: 'SES',
          action: 'setActiveReceiptRuleSet',
          parameters: { RuleSetName: this.ruleSetName },
          physicalResourceId: cr.PhysicalResourceId.of(this.ruleSetName),
        },
        // No name: no set is active any more (mail to the recipients is no longer received).
        onDelete: { service: 'SES', action: 'setActiveReceiptRuleSet', parameters: {} },
        policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['ses:SetActiveReceiptRuleSet'], resources: ['*'] })]),
        installLatestAwsSdk: false,
      });
      activation.node.addDependency(rule);
      Validations.of(activation).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ses:SetActiveReceiptRuleSet has no resource-level permissions: IAM accepts only * for it (the one action this policy allows).',
      });
      // The provider CDK shares for every AwsCustomResource of the stack (a singleton at the stack's root).
      const provider = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
      if (provider !== undefined) {
        Validations.of(provider).acknowledge({
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "CDK's AwsCustomResource provider (runs only on deploy, to call SetActiveReceiptRuleSet) uses the basic execution role for its own logs.",
        });
      }
    }
  }
}
