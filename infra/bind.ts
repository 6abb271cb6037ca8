import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { functionBindingName, type BindingName, type FunctionBindingName } from '../shared/config';
import {
  permissionCapabilities,
  tablePermissionCapabilities,
  type Capability,
  type Grants,
  type Permission,
  type SecretScope,
  type TableCapability,
  type TablePermission,
} from '../shared/routes';
import { tables as tableDefs, type TableName } from '../shared/tables';
import type { PublisherFunction } from './constructs/publisher-function';

export interface BindResources {
  tables: Record<TableName, dynamodb.ITable>;
  /** Prefix of every secret this deployment owns, e.g. `mdz-publisher/`. */
  secretPrefix: string;
  bucket: s3.IBucket;
  /** The verified SES identity mail is sent from (an address; its domain is granted too). */
  senderEmail: string;
  /** The support address acknowledgements and replies come from (SUPPORT_EMAIL; its domain too). */
  supportEmail: string;
  /**
   * The stack's functions by id: the targets of `invokes` grants, each built with its fixed name
   * (`invokedFunctionName`). Needed only by a function that invokes another.
   */
  functions?: Readonly<Record<string, PublisherFunction>>;
}

/**
 * The IAM actions behind each capability (shared/routes.ts): the actions of the requests the adapters
 * in shared/adapters send, and no others (the CDK grant helpers would add Scan, BatchWriteItem,
 * DescribeTable, DescribeSecret, …). test/infra/grants.test.ts maps every action here back to an SDK
 * command the code constructs.
 */
export const iamActions = {
  /**
   * DynamoTable: `get` (GetItem) and `query` (Query, also on the GSIs); `create` (a conditional
   * PutItem); `transition` and `increment` (conditional UpdateItem), `consume` (conditional DeleteItem).
   */
  tables: {
    read: ['dynamodb:GetItem', 'dynamodb:Query'],
    put: ['dynamodb:PutItem'],
    // BatchWriteItem can delete too, so it comes only with `change` (never with APPEND).
    change: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
  },
  /** SecretStore: `get`; `create`, `put` (a token refresh's new version) and `forceDelete` (no tags). */
  secrets: {
    read: ['secretsmanager:GetSecretValue'],
    write: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret'],
  },
  /**
   * ObjectStore: `get` (GetObject) and `list` (ListBucket on the bucket, limited to the prefix: without
   * it a missing key answers 403 instead of NoSuchKey); `put`, `delete` and `deletePrefix`
   * (DeleteObjects needs s3:DeleteObject).
   */
  bucket: {
    read: ['s3:GetObject', 's3:ListBucket'],
    write: ['s3:PutObject', 's3:DeleteObject'],
  },
  /** SesMailer. */
  sendMail: ['ses:SendRawEmail'],
  /** LambdaAsyncInvoker: Invoke (`InvocationType: Event`) of the unqualified function. */
  invokes: ['lambda:InvokeFunction'],
} as const satisfies {
  tables: Record<TableCapability, readonly string[]>;
  secrets: Record<Capability, readonly string[]>;
  bucket: Record<Capability, readonly string[]>;
  sendMail: readonly string[];
  invokes: readonly string[];
};

/**
 * The functions some spec may invoke (`invokes` grants), each once. An id that is not in the spec
 * table fails the synth here, naming the spec: the grant's type is plain strings (shared/routes.ts).
 */
export function invokedFunctions(specs: Readonly<Record<string, { grants: Grants }>>): string[] {
  const invoked = new Set<string>();
  for (const [fnId, spec] of Object.entries(specs)) {
    for (const id of spec.grants.invokes ?? []) {
      if (!(id in specs)) throw new Error(`${fnId} may invoke ${id}, which is not a function in functionSpecs (shared/routes.ts)`);
      invoked.add(id);
    }
  }
  return [...invoked].sort();
}

/**
 * The fixed name of a function others invoke: `<stack name>-<function id>`. Callers' grants and
 * bindings name it as this string rather than by a reference, which would be a CloudFormation cycle
 * for a function that invokes itself or a function that invokes it.
 */
export function invokedFunctionName(stack: Stack, fnId: string): string {
  if (Token.isUnresolved(stack.stackName)) throw new Error(`The stack name must be known at synth time to name the invoked function ${fnId}`);
  const name = `${stack.stackName}-${fnId}`;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new Error(`${name} is not a valid Lambda function name (at most 64 letters, digits, hyphens and underscores): choose a shorter stack name`);
  }
  return name;
}

/** The IAM actions a table level allows, by what they act on. */
export function tableActionsFor(level: TablePermission): { read: string[]; write: string[] } {
  const capabilities = tablePermissionCapabilities[level];
  return {
    read: capabilities.includes('read') ? [...iamActions.tables.read] : [],
    write: capabilities.flatMap((capability) => (capability === 'read' ? [] : iamActions.tables[capability])),
  };
}

/** The IAM actions a secret-scope level allows. */
export function secretActionsFor(level: Permission): string[] {
  return permissionCapabilities[level].flatMap((capability) => iamActions.secrets[capability]);
}

/**
 * Gives a function exactly what its route-table entry declares, in one call: for each resource it
 * sets the environment variable the code reads (shared/config.ts) and adds the matching least-privilege
 * grant. Wildcards that IAM requires are acknowledged here, next to the grant, with the reason.
 */
export function bind(target: PublisherFunction, grants: Grants, resources: BindResources): void {
  const { fn } = target;
  const stack = Stack.of(fn);
  const setEnv = (name: BindingName | FunctionBindingName, value: string) => fn.addEnvironment(name, value);
  const acknowledge = (finding: string, reason: string) => {
    Validations.of(target.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  };

  for (const [name, access] of Object.entries(grants.tables ?? {}) as [TableName, TablePermission][]) {
    const table = resources.tables[name];
    setEnv(tableDefs[name].envVar, table.tableName);
    const { read, write } = tableActionsFor(access);
    const indexes = tableDefs[name].indexes;
    // Queries may use the GSIs; writes go to the table only (DynamoDB maintains the indexes).
    if (read.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: read, resources: [table.tableArn, ...(indexes.length > 0 ? [`${table.tableArn}/index/*`] : [])] }),
      );
    }
    if (write.length > 0) fn.addToRolePolicy(new iam.PolicyStatement({ actions: write, resources: [table.tableArn] }));
    if (read.length > 0 && indexes.length > 0) {
      acknowledge(
        `Resource::${nagString(stack, table.tableArn)}/index/*`,
        `Queries the ${name} table's GSIs (${indexes.map((i) => i.name).join(', ')}), all defined in shared/tables.ts.`,
      );
    }
  }

  const secretEntries = Object.entries(grants.secrets ?? {}) as [SecretScope, Permission][];
  if (secretEntries.length > 0) setEnv('SECRET_PREFIX', resources.secretPrefix);
  for (const [scope, access] of secretEntries) {
    const pattern = `${resources.secretPrefix}${scope}/*`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: secretActionsFor(access),
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
      `Resource::${nagString(stack, stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: pattern, arnFormat: ArnFormat.COLON_RESOURCE_NAME }))}`,
      `Secret names carry a connection id and AWS appends a random suffix, so access is scoped to the ${scope}/ prefix.`,
    );
  }

  const bucketEntries = Object.entries(grants.bucket ?? {});
  if (bucketEntries.length > 0) setEnv('DATA_BUCKET', resources.bucket.bucketName);
  for (const [prefix, access] of bucketEntries) {
    const actions = permissionCapabilities[access].flatMap((capability) => iamActions.bucket[capability]);
    // Explicit object actions: the L2 grant helpers add wildcard actions (s3:GetObject*, s3:List*, …).
    const objectActions = actions.filter((action) => action !== 's3:ListBucket');
    if (objectActions.length > 0) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: objectActions, resources: [resources.bucket.arnForObjects(`${prefix}*`)] }));
    }
    if (actions.includes('s3:ListBucket')) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [resources.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
        }),
      );
    }
    acknowledge(
      `Resource::${nagString(stack, resources.bucket.arnForObjects(`${prefix}*`))}`,
      `Objects are keyed by SHA-256 or message id under ${prefix}; access is limited to that prefix.`,
    );
  }

  // SES checks the From identity: the address, or the verified domain it belongs to. The domain alone
  // would let the function send as any address of it, so the From address is pinned by a condition.
  const identities = new Set<string>();
  const fromAddresses = new Set<string>();
  const addIdentity = (address: string) => {
    identities.add(address);
    identities.add(address.split('@')[1] ?? address);
    fromAddresses.add(address);
  };
  if (grants.sendMail === true) addIdentity(resources.senderEmail);
  if (grants.supportMail === true) addIdentity(resources.supportEmail);
  if (identities.size > 0) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...iamActions.sendMail],
        resources: [...identities].map((identity) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity })),
        conditions: { StringEquals: { 'ses:FromAddress': [...fromAddresses] } },
      }),
    );
  }

  // Invoke on exactly the named functions, unqualified (no version or alias, no wildcard).
  for (const id of grants.invokes ?? []) {
    const callee = resources.functions?.[id];
    if (callee === undefined) throw new Error(`${target.node.id} may invoke ${id}, which is not a function of this stack`);
    if (callee.physicalName === undefined) {
      throw new Error(`${id} is invoked by ${target.node.id} but was built without a fixed name (invokedFunctionName)`);
    }
    setEnv(functionBindingName(id), callee.physicalName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...iamActions.invokes],
        resources: [
          Stack.of(callee).formatArn({ service: 'lambda', resource: 'function', resourceName: callee.physicalName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        ],
      }),
    );
  }
}

/**
 * How cdk-nag prints a resource in a finding id: the resolved value with each reference as `<Id>` or
 * `<Id.Attribute>` (pseudo parameters as `<AWS::Region>`), the parts of a join joined.
 */
export function nagString(stack: Stack, value: string): string {
  const render = (resolved: unknown): string => {
    if (typeof resolved === 'string') return resolved;
    const node = resolved as Record<string, unknown>;
    if (typeof node.Ref === 'string') return `<${node.Ref}>`;
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = node['Fn::Join'];
    if (Array.isArray(join)) {
      const [separator, parts] = join as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    return JSON.stringify(resolved);
  };
  return render(stack.resolve(value));
}
