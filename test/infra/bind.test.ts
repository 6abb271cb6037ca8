import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { testApp } from '../support/cdk';
import { bind, invokedFunctionName, invokedFunctions } from '../../infra/bind';
import { Data } from '../../infra/constructs/data';
import { dataNames } from '../../infra/data-stack';
import { PublisherFunction } from '../../infra/constructs/publisher-function';
import type { FunctionSpec, Grants, Permission, TablePermission } from '../../shared/routes';

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

function build(grants: Grants) {
  const spec: FunctionSpec = { entry: 'functions/get-health.ts', description: 'bind probe', memoryMb: 256, timeoutSeconds: 5, grants };
  const app = testApp();
  const stack = new Stack(app, 'Bind', { env: { account: '111122223333', region: 'eu-west-1' } });
  const data = new Data(stack, 'Data', { names: dataNames(stack.stackName), mailRetentionDays: 365, quarantineRetentionDays: 30, exportRetentionDays: 7 });
  const target = new PublisherFunction(stack, 'Probe', { spec, settings: {}, logRetention: logs.RetentionDays.THREE_MONTHS });
  bind(target, spec.grants, {
    tables: data.tables,
    bucket: data.bucket,
    secretPrefix: 'mdz-publisher/',
    senderEmail: 'info@ecooffice.net',
    supportEmail: 'help@support.ecooffice.test',
  });
  const template = Template.fromStack(stack);
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
  const ref = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  /** Sorted actions of the statements naming exactly this resource (among others). */
  const actionsOn = (resource: unknown) =>
    statements
      .filter((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).some((r) => JSON.stringify(r) === JSON.stringify(resource)))
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .sort();
  return { app, template, stack, data, statements, ref, actionsOn };
}

/** The SES identity names in a statement's resources (each ARN ends in `:identity/<name>`). */
function identitiesOf(resource: unknown): string[] {
  return [...JSON.stringify(resource).matchAll(/:identity\/([^"]+)"/g)].map((m) => m[1] ?? '').sort();
}

describe('bind (environment and least privilege in one call)', () => {
  const probe = build({
    tables: { workflow: 'RO', audit: 'READ_APPEND' },
    secrets: { tokens: 'W', app: 'RO' },
    bucket: { 'media/': 'RW' },
    sendMail: true,
  });

  it('sets exactly the environment variables of the granted resources', () => {
    const { template, ref, data } = probe;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          WORKFLOW_TABLE: { Ref: ref(data.tables.workflow) },
          AUDIT_TABLE: { Ref: ref(data.tables.audit) },
          SECRET_PREFIX: 'mdz-publisher/',
          DATA_BUCKET: { Ref: ref(data.bucket) },
        }),
      },
    });
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    expect(fn.Properties.Environment.Variables.STATE_TABLE).toBeUndefined();
  });

  // Read is GetItem and Query, on the table and (for a query by index) its GSIs; writes go to the table.
  const tableCases: Array<[TablePermission, string[], string[]]> = [
    ['RO', ['dynamodb:GetItem', 'dynamodb:Query'], ['dynamodb:GetItem', 'dynamodb:Query']],
    ['APPEND', ['dynamodb:PutItem'], []],
    ['READ_APPEND', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], ['dynamodb:GetItem', 'dynamodb:Query']],
    ['W', ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], []],
    ['RW', ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], ['dynamodb:GetItem', 'dynamodb:Query']],
  ];
  it.each(tableCases)('grants table level %s exactly its actions (table, then GSIs)', (level, onTable, onIndexes) => {
    const { actionsOn, ref, data, app } = build({ tables: { workflow: level } });
    const tableArn = { 'Fn::GetAtt': [ref(data.tables.workflow), 'Arn'] };
    expect(actionsOn(tableArn)).toEqual(onTable);
    expect(actionsOn({ 'Fn::Join': ['', [tableArn, '/index/*']] })).toEqual(onIndexes);
    // The GSI wildcard is acknowledged exactly when it is granted.
    expect(() => app.synth()).not.toThrow();
  });

  const secretCases: Array<[Permission, string[]]> = [
    ['RO', ['secretsmanager:GetSecretValue']],
    ['W', ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:PutSecretValue']],
    ['RW', ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']],
  ];
  it.each(secretCases)('grants secret level %s exactly its actions, on its scope only', (level, actions) => {
    const { statements, app } = build({ secrets: { tokens: level } });
    const secretStatements = statements.filter((s) => JSON.stringify(s.Resource).includes('secretsmanager'));
    expect(secretStatements).toHaveLength(1);
    expect(JSON.stringify(secretStatements[0]?.Resource)).toContain('secret:mdz-publisher/tokens/*');
    expect([secretStatements[0]?.Action].flat().sort()).toEqual(actions);
    expect(() => app.synth()).not.toThrow();
  });

  const bucketCases: Array<[Permission, string[], boolean]> = [
    ['RO', ['s3:GetObject'], true],
    ['W', ['s3:DeleteObject', 's3:PutObject'], false],
    ['RW', ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], true],
  ];
  it.each(bucketCases)('grants bucket level %s its object actions under the prefix, listing only to readers', (level, objectActions, lists) => {
    const { statements, app } = build({ bucket: { 'media/': level } });
    const s3Statements = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    const onObjects = s3Statements.filter((s) => JSON.stringify(s.Resource).includes('/media/*'));
    expect(onObjects.flatMap((s) => [s.Action].flat()).sort()).toEqual(objectActions);
    const listing = s3Statements.filter((s) => [s.Action].flat().includes('s3:ListBucket'));
    expect(listing.map((s) => s.Condition)).toEqual(lists ? [{ StringLike: { 's3:prefix': ['media/*'] } }] : []);
    expect(() => app.synth()).not.toThrow();
  });

  it('scopes secrets to their prefix, with write actions only where granted', () => {
    const secretStatements = probe.statements.filter((s) => JSON.stringify(s.Resource).includes('secretsmanager'));
    const byScope = (scope: string) => secretStatements.find((s) => JSON.stringify(s.Resource).includes(`secret:mdz-publisher/${scope}/*`));
    expect([byScope('tokens')?.Action].flat().sort()).toEqual(['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:PutSecretValue']);
    expect([byScope('app')?.Action].flat()).toEqual(['secretsmanager:GetSecretValue']);
    expect(byScope('operator')).toBeUndefined();
  });

  it('scopes mail to the sender identity', () => {
    const ses = probe.statements.find((s) => s.Action === 'ses:SendRawEmail');
    expect(identitiesOf(ses?.Resource)).toEqual(['ecooffice.net', 'info@ecooffice.net']);
  });

  it('pins the From address by a condition, so the domain identity does not allow any address of the domain', () => {
    const both = build({ sendMail: true, supportMail: true }).statements.find((s) => s.Action === 'ses:SendRawEmail') as Statement & { Condition?: unknown };
    expect(both.Condition).toEqual({ StringEquals: { 'ses:FromAddress': ['info@ecooffice.net', 'help@support.ecooffice.test'] } });
    const sender = probe.statements.find((s) => s.Action === 'ses:SendRawEmail') as Statement & { Condition?: unknown };
    expect(sender.Condition).toEqual({ StringEquals: { 'ses:FromAddress': ['info@ecooffice.net'] } });
  });

  it('scopes support mail to the support identity, and both grants to both identities', () => {
    const support = build({ supportMail: true }).statements.find((s) => s.Action === 'ses:SendRawEmail');
    expect(identitiesOf(support?.Resource)).toEqual(['help@support.ecooffice.test', 'support.ecooffice.test']);
    const both = build({ sendMail: true, supportMail: true }).statements.filter((s) => s.Action === 'ses:SendRawEmail');
    expect(both).toHaveLength(1);
    expect(identitiesOf(both[0]?.Resource)).toEqual(['ecooffice.net', 'help@support.ecooffice.test', 'info@ecooffice.net', 'support.ecooffice.test']);
    expect(build({ tables: { workflow: 'RO' } }).statements.some((s) => s.Action === 'ses:SendRawEmail')).toBe(false);
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    expect(() => probe.app.synth()).not.toThrow();
  });
});

describe('bind: invokes (Lambda InvokeFunction on exactly the named functions)', () => {
  const specOf = (grants: Grants): FunctionSpec => ({ entry: 'functions/get-health.ts', description: 'invoke probe', memoryMb: 256, timeoutSeconds: 5, grants });

  /** A job that re-invokes itself, a starter that invokes it, and a bystander with no invokes grant. */
  function buildInvokers(specs: Record<string, Grants> = { job: { invokes: ['job'] }, starter: { invokes: ['job'] }, bystander: {} }) {
    const app = testApp();
    const stack = new Stack(app, 'Invokes', { env: { account: '111122223333', region: 'eu-west-1' } });
    const data = new Data(stack, 'Data', { names: dataNames(stack.stackName), mailRetentionDays: 365, quarantineRetentionDays: 30, exportRetentionDays: 7 });
    const invoked = new Set(invokedFunctions(Object.fromEntries(Object.entries(specs).map(([id, grants]) => [id, { grants }]))));
    const functions = Object.fromEntries(
      Object.entries(specs).map(([id, grants]) => [
        id,
        new PublisherFunction(stack, id, {
          spec: specOf(grants),
          settings: {},
          logRetention: logs.RetentionDays.THREE_MONTHS,
          ...(invoked.has(id) ? { functionName: invokedFunctionName(stack, id) } : {}),
        }),
      ]),
    );
    for (const [id, grants] of Object.entries(specs)) {
      const target = functions[id];
      if (target !== undefined) bind(target, grants, { tables: data.tables, bucket: data.bucket, secretPrefix: 'mdz-publisher/', senderEmail: 'info@ecooffice.net', supportEmail: 'help@support.ecooffice.test', functions });
    }
    // Template.fromStack fails on a dependency cycle (a function whose policy or environment referred to itself).
    const template = Template.fromStack(stack);
    const ref = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
    const fnOf = (id: string) =>
      template.findResources('AWS::Lambda::Function')[ref(functions[id]?.fn ?? stack)] as { Properties: { FunctionName?: string; Environment: { Variables: Record<string, unknown> } } };
    const statementsOf = (id: string) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .map((p) => p as { Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Statement[] } } })
        .filter((p) => p.Properties.Roles.some((r) => r.Ref === ref(functions[id]?.role ?? stack)))
        .flatMap((p) => p.Properties.PolicyDocument.Statement);
    return { app, stack, template, fnOf, statementsOf };
  }

  const probe = buildInvokers();
  const jobArn = probe.stack.resolve(`arn:${probe.stack.partition}:lambda:eu-west-1:111122223333:function:Invokes-job`) as unknown;

  it('gives the fixed name <stack>-<id> to the invoked function only', () => {
    expect(probe.fnOf('job').Properties.FunctionName).toBe('Invokes-job');
    expect(probe.fnOf('starter').Properties.FunctionName).toBeUndefined();
    expect(probe.fnOf('bystander').Properties.FunctionName).toBeUndefined();
  });

  it.each(['starter', 'job'])('gives %s exactly lambda:InvokeFunction on the job’s unqualified ARN, and its name in FUNCTION_JOB', (id) => {
    const lambda = probe.statementsOf(id).filter((s) => [s.Action].flat().some((a) => a.startsWith('lambda:')));
    expect(lambda).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: jobArn }]);
    const bindings = Object.entries(probe.fnOf(id).Properties.Environment.Variables).filter(([name]) => name.startsWith('FUNCTION_'));
    expect(bindings).toEqual([['FUNCTION_JOB', 'Invokes-job']]);
  });

  it('gives a function without an invokes grant neither the action nor a binding', () => {
    expect(probe.statementsOf('bystander').flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('lambda:'))).toEqual([]);
    expect(Object.keys(probe.fnOf('bystander').Properties.Environment.Variables).filter((name) => name.startsWith('FUNCTION_'))).toEqual([]);
  });

  it('leaves no unacknowledged cdk-nag finding (no wildcard to acknowledge)', () => {
    expect(() => probe.app.synth()).not.toThrow();
  });

  it('builds two functions that invoke each other without a cycle', () => {
    const pair = buildInvokers({ ping: { invokes: ['pong'] }, pong: { invokes: ['ping'] } });
    expect(pair.fnOf('ping').Properties.Environment.Variables.FUNCTION_PONG).toBe('Invokes-pong');
    expect(pair.fnOf('pong').Properties.Environment.Variables.FUNCTION_PING).toBe('Invokes-ping');
  });

  it('fails the synth for an invoked id that is not a function, naming the spec', () => {
    expect(() => invokedFunctions({ starter: { grants: { invokes: ['jobb'] } }, job: { grants: {} } })).toThrow(
      'starter may invoke jobb, which is not a function in functionSpecs (shared/routes.ts)',
    );
    expect(invokedFunctions({ a: { grants: { invokes: ['b', 'a'] } }, b: { grants: { invokes: ['b'] } } })).toEqual(['a', 'b']);
    expect(() => buildInvokers({ starter: { invokes: ['job'] } })).toThrow('starter may invoke job, which is not a function in functionSpecs');
  });

  it('refuses to bind an invoke target built without a fixed name, and a name Lambda would refuse', () => {
    const app = testApp();
    const stack = new Stack(app, 'Unnamed');
    const data = new Data(stack, 'Data', { names: dataNames(stack.stackName), mailRetentionDays: 365, quarantineRetentionDays: 30, exportRetentionDays: 7 });
    const job = new PublisherFunction(stack, 'job', { spec: specOf({}), settings: {}, logRetention: logs.RetentionDays.THREE_MONTHS });
    const resources = { tables: data.tables, bucket: data.bucket, secretPrefix: 'p/', senderEmail: 'info@ecooffice.net', supportEmail: 'help@support.ecooffice.test', functions: { job } };
    expect(() => {
      bind(job, { invokes: ['job'] }, resources);
    }).toThrow('job is invoked by job but was built without a fixed name');
    expect(() => {
      bind(job, { invokes: ['other'] }, resources);
    }).toThrow('job may invoke other, which is not a function of this stack');
    expect(() => invokedFunctionName(new Stack(testApp(), 'A'.repeat(60)), 'syncBoards')).toThrow(/not a valid Lambda function name/);
  });
});
