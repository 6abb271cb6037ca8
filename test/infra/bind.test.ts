import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { testApp } from '../support/cdk';
import { bind } from '../../infra/bind';
import { Data } from '../../infra/constructs/data';
import { PublisherFunction } from '../../infra/constructs/publisher-function';
import type { FunctionSpec } from '../../shared/routes';

const spec: FunctionSpec = {
  entry: 'functions/get-health.ts',
  description: 'bind probe',
  memoryMb: 256,
  timeoutSeconds: 5,
  grants: {
    tables: { workflow: 'RO', audit: 'RW' },
    secrets: { tokens: 'RW', app: 'RO' },
    bucket: { 'media/': 'RW' },
    sendMail: true,
  },
};

function build() {
  const app = testApp();
  const stack = new Stack(app, 'Bind', { env: { account: '111122223333', region: 'eu-west-1' } });
  const data = new Data(stack, 'Data', { secretPrefix: 'mdz-publisher/', mailRetentionDays: 365, quarantineRetentionDays: 30 });
  const target = new PublisherFunction(stack, 'Probe', { spec, settings: {}, logRetention: logs.RetentionDays.THREE_MONTHS });
  bind(target, spec.grants, {
    tables: data.tables,
    bucket: data.bucket,
    secretPrefix: 'mdz-publisher/',
    senderEmail: 'info@ecooffice.net',
  });
  return { app, template: Template.fromStack(stack), stack, data };
}

describe('bind (environment and least privilege in one call)', () => {
  const { app, template, stack, data } = build();
  const statements = () => {
    const policies = template.findResources('AWS::IAM::Policy');
    return Object.values(policies).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }).Properties.PolicyDocument.Statement,
    );
  };
  const ref = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);

  it('sets exactly the environment variables of the granted resources', () => {
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

  it('grants read-only table access without write actions', () => {
    const workflowArn = { 'Fn::GetAtt': [ref(data.tables.workflow), 'Arn'] };
    const onWorkflow = statements().filter((s) => JSON.stringify(s.Resource).includes(ref(data.tables.workflow)));
    expect(onWorkflow.length).toBeGreaterThan(0);
    const actions = onWorkflow.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[]);
    expect(actions).toContain('dynamodb:Query');
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(actions).not.toContain('dynamodb:UpdateItem');
    expect(JSON.stringify(onWorkflow)).toContain(JSON.stringify(workflowArn));
    const onAudit = statements().filter((s) => JSON.stringify(s.Resource).includes(ref(data.tables.audit)));
    expect(onAudit.flatMap((s) => s.Action as string[])).toContain('dynamodb:PutItem');
  });

  it('scopes secrets to their prefix, with write actions only where granted', () => {
    const secretStatements = statements().filter((s) => JSON.stringify(s.Resource).includes('secretsmanager'));
    const byScope = (scope: string) => secretStatements.find((s) => JSON.stringify(s.Resource).includes(`secret:mdz-publisher/${scope}/*`));
    expect(byScope('tokens')?.Action).toEqual(expect.arrayContaining(['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret']));
    expect([...(byScope('app')?.Action as string[])].sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(byScope('operator')).toBeUndefined();
  });

  it('scopes bucket access to the key prefix and mail to the sender identity', () => {
    expect(JSON.stringify(statements())).toContain('/media/*');
    const ses = statements().find((s) => s.Action === 'ses:SendRawEmail');
    expect(JSON.stringify(ses?.Resource)).toContain('identity/info@ecooffice.net');
    expect(JSON.stringify(ses?.Resource)).toContain('identity/ecooffice.net');
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    expect(() => app.synth()).not.toThrow();
  });
});
