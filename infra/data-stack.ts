import { Aws, Stack, Token, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { tableList, type TableName } from '../shared/tables';
import { Data, type DataNames, type DataProps } from './constructs/data';

/** The name of the data stack beside a product stack. */
export const dataStackName = (productStackName: string) => `${productStackName}-Data`;

/**
 * The fixed names of a deployment's tables and bucket, from the product stack's name: tables
 * `<stack>-<table>`; the bucket `<stack, lower case>-data-<account>-<region>` (bucket names are global).
 * With the account and region known at synth (the CLI resolves them from the credentials), every name is
 * a plain string in the template: CloudFormation can then take retained ones back into a new data stack
 * (`cdk deploy --import-existing-resources`), which it cannot do for a name built at deploy time.
 */
export function dataNames(productStackName: string, account: string = Aws.ACCOUNT_ID, region: string = Aws.REGION): DataNames {
  if (Token.isUnresolved(productStackName)) throw new Error('The stack name must be known at synth time: it names the tables and the bucket');
  const tables = Object.fromEntries(tableList.map((def) => [def.name, `${productStackName}-${def.name}`])) as Record<TableName, string>;
  for (const name of Object.values(tables)) {
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(name)) throw new Error(`${name} is not a valid DynamoDB table name: choose another stack name`);
  }
  const prefix = `${productStackName.toLowerCase()}-data`;
  // An account id has 12 digits and the longest region name 14 characters; bucket names have at most 63.
  const length = (value: string, longest: number) => (Token.isUnresolved(value) ? longest : value.length);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(prefix) || prefix.length + 1 + length(account, 12) + 1 + length(region, 14) > 63) {
    throw new Error(`The stack name ${productStackName} cannot name the data bucket (${prefix}-<account>-<region>: letters, digits and hyphens, at most 63 characters): choose a shorter one`);
  }
  return { tables, bucket: `${prefix}-${account}-${region}` };
}

/**
 * The deployment's data in a stack of its own: the three tables and the data bucket (infra/constructs/data.ts),
 * under fixed names. The product stack (infra/publisher-stack.ts) refers to them by those names and
 * deploys after this one. Tearing the product stack down leaves this one, and the next deploy of the
 * product finds its data where it was. Termination protection is on: deleting the data is a decision of
 * its own (docs/deploy.md, "Tearing down").
 */
export class PublisherDataStack extends Stack {
  readonly data: Data;

  constructor(scope: Construct, id: string, props: StackProps & { data: DataProps }) {
    const { data, ...stackProps } = props;
    super(scope, id, { terminationProtection: true, ...stackProps });
    this.data = new Data(this, 'Data', data);
  }
}
