import { ArnFormat, Stack, Token, Validations, type CfnResource } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { BindingName } from '../shared/config';
import type { Grants, SecretScope, TablePermission } from '../shared/routes';
import { tables as tableDefs, type TableName } from '../shared/tables';
import type { PublisherFunction } from './constructs/publisher-function';

export interface BindResources {
  tables: Record<TableName, dynamodb.Table>;
  /** Prefix of every secret this deployment owns, e.g. `mdz-publisher/`. */
  secretPrefix: string;
  bucket: s3.Bucket;
  /** The verified SES identity mail is sent from (an address; its domain is granted too). */
  senderEmail: string;
}

const secretActions = {
  RO: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
  RW: [
    'secretsmanager:GetSecretValue',
    'secretsmanager:DescribeSecret',
    'secretsmanager:CreateSecret',
    'secretsmanager:PutSecretValue',
    'secretsmanager:DeleteSecret',
    'secretsmanager:TagResource',
  ],
};

/**
 * Gives a function exactly what its route-table entry declares, in one call: for each resource it
 * sets the environment variable the code reads (shared/config.ts) and adds the matching least-privilege
 * grant. Wildcards that IAM requires are acknowledged here, next to the grant, with the reason.
 */
export function bind(target: PublisherFunction, grants: Grants, resources: BindResources): void {
  const { fn } = target;
  const stack = Stack.of(fn);
  const setEnv = (name: BindingName, value: string) => fn.addEnvironment(name, value);
  const acknowledge = (finding: string, reason: string) => {
    Validations.of(target.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  };

  for (const [name, access] of Object.entries(grants.tables ?? {}) as [TableName, TablePermission][]) {
    const table = resources.tables[name];
    setEnv(tableDefs[name].envVar, table.tableName);
    if (access === 'RO' || access === 'READ_APPEND') table.grantReadData(fn);
    if (access === 'RW') table.grantReadWriteData(fn);
    // Appending is a conditional PutItem only: no UpdateItem, DeleteItem or batch writes.
    if (access === 'APPEND' || access === 'READ_APPEND') fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [table.tableArn] }));
    if (access !== 'APPEND' && tableDefs[name].indexes.length > 0) {
      const logicalId = stack.getLogicalId(table.node.defaultChild as CfnResource);
      acknowledge(
        `Resource::<${logicalId}.Arn>/index/*`,
        `Queries the ${name} table's GSIs (${tableDefs[name].indexes.map((i) => i.name).join(', ')}), all defined in shared/tables.ts.`,
      );
    }
  }

  const secretEntries = Object.entries(grants.secrets ?? {}) as [SecretScope, 'RO' | 'RW'][];
  if (secretEntries.length > 0) setEnv('SECRET_PREFIX', resources.secretPrefix);
  for (const [scope, access] of secretEntries) {
    const pattern = `${resources.secretPrefix}${scope}/*`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: secretActions[access],
        resources: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: pattern,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    acknowledge(
      `Resource::arn:${nagValue(stack.partition, 'AWS::Partition')}:secretsmanager:${nagValue(stack.region, 'AWS::Region')}:${nagValue(
        stack.account,
        'AWS::AccountId',
      )}:secret:${pattern}`,
      `Secret names carry a connection id and AWS appends a random suffix, so access is scoped to the ${scope}/ prefix.`,
    );
  }

  const bucketEntries = Object.entries(grants.bucket ?? {});
  if (bucketEntries.length > 0) setEnv('DATA_BUCKET', resources.bucket.bucketName);
  for (const [prefix, access] of bucketEntries) {
    // Explicit object actions: the L2 grant helpers add wildcard actions (s3:GetObject*, s3:List*, …).
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: access === 'RO' ? ['s3:GetObject'] : ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [resources.bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [resources.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
    );
    const bucketId = stack.getLogicalId(resources.bucket.node.defaultChild as CfnResource);
    acknowledge(
      `Resource::<${bucketId}.Arn>/${prefix}*`,
      `Objects are keyed by SHA-256 or message id under ${prefix}; access is limited to that prefix.`,
    );
  }

  if (grants.sendMail === true) {
    const domain = resources.senderEmail.split('@')[1] ?? resources.senderEmail;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendRawEmail'],
        resources: [
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: resources.senderEmail }),
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: domain }),
        ],
      }),
    );
  }
}

/** How cdk-nag prints a value in a finding id: a pseudo parameter when unresolved, else the value. */
function nagValue(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? `<${pseudo}>` : value;
}
