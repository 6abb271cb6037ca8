import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { testApp } from '../support/cdk';
import { Schedules } from '../../infra/constructs/schedules';
import { PublisherStack, retentionFor } from '../../infra/publisher-stack';
import { functionSpecs, operatorAuthorizer, publishLeaseSeconds, routes, schedules, tokenLeaseSeconds } from '../../shared/routes';
import { METRICS_NAMESPACE, METRICS_SERVICE, STUCK_METRIC } from '../../shared/metrics';
import { tableList } from '../../shared/tables';

const settings = {
  PUBLIC_BASE_URL: 'https://publisher.example.test',
  OPERATOR_NOTIFY_EMAIL: 'operator@example.test',
  SENDER_EMAIL: 'info@ecooffice.net',
};


describe('the publisher stack', () => {
  const app = testApp();
  const stack = new PublisherStack(app, 'Test', { settings });
  const template = Template.fromStack(stack);
  const dataTemplate = Template.fromStack(stack.dataStack);
  const ruleArn = {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':receipt-rule-set/Test-inbound:receipt-rule/Test-support']],
  };

  it('synthesizes with no unacknowledged cdk-nag finding', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('creates the three tables from the table module with TTL, PITR and every GSI', () => {
    dataTemplate.resourceCountIs('AWS::DynamoDB::Table', tableList.length);
    for (const def of tableList) {
      dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `Test-${def.name}`,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        ...(def.indexes.length === 0
          ? { GlobalSecondaryIndexes: Match.absent() }
          : {
              GlobalSecondaryIndexes: def.indexes.map((index) => ({
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey, KeyType: 'HASH' },
                  { AttributeName: index.sortKey, KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'ALL' },
              })),
            }),
      });
    }
    dataTemplate.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('keeps the data in a stack of its own under fixed names, which the product stack names without a cross-stack reference', () => {
    expect(stack.dataStack.stackName).toBe('Test-Data');
    expect(stack.dataStack.terminationProtection).toBe(true);
    expect(stack.dependencies).toEqual([stack.dataStack]);
    // Tables and bucket are the data stack's only; the product stack has none.
    for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket']) template.resourceCountIs(type, 0);
    expect(Object.keys(dataTemplate.toJSON().Resources as object).sort()).toEqual(
      [...tableList.map((def) => stack.dataStack.getLogicalId(stack.data.tables[def.name].node.defaultChild as never)), stack.dataStack.getLogicalId(stack.data.bucket.node.defaultChild as never), stack.dataStack.getLogicalId(stack.data.bucket.policy?.node.defaultChild as never)].sort(),
    );
    dataTemplate.hasResourceProperties('AWS::S3::Bucket', { BucketName: { 'Fn::Join': ['', ['test-data-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]] } });
    dataTemplate.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    // No export, import or stack output links the two: tearing the product down and deploying it again
    // finds the same tables and bucket by their names.
    const productText = JSON.stringify(template.toJSON());
    expect(productText).not.toMatch(/Fn::ImportValue|Fn::GetStackOutput/);
    expect(dataTemplate.toJSON().Outputs).toBeUndefined();
    expect(productText).toContain('"Test-workflow"');
    // The bucket name includes the account and region (bucket names are global); a stack name that cannot name it fails synth.
    expect(() => new PublisherStack(testApp(), 'A-Stack-Name-Much-Too-Long-For-A-Bucket', { settings })).toThrow(/data bucket.*shorter/);
  });

  it('names the data with plain strings when the account and region are known (as on a deploy), so a new data stack can take back retained tables and bucket', () => {
    // CloudFormation's automatic import (`cdk deploy --import-existing-resources`) takes back a resource
    // only if its name is a plain string in the template and its DeletionPolicy is Retain.
    const concrete = new PublisherStack(testApp(), 'Live', { settings, env: { account: '111122223333', region: 'eu-west-1' } });
    const data = Template.fromStack(concrete.dataStack).toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string; Properties: Record<string, unknown> }>;
    const named = Object.values(data).filter((resource) => ['AWS::DynamoDB::Table', 'AWS::S3::Bucket'].includes(resource.Type));
    expect(named.map((resource) => resource.Properties.TableName ?? resource.Properties.BucketName).sort()).toEqual([
      'Live-audit',
      'Live-state',
      'Live-workflow',
      'live-data-111122223333-eu-west-1',
    ]);
    for (const resource of named) expect(resource.DeletionPolicy).toBe('Retain');
    // The product stack names the same bucket and tables.
    const product = Template.fromStack(concrete);
    product.hasResourceProperties('AWS::SES::ReceiptRule', { Rule: Match.objectLike({ Actions: Match.arrayWith([{ S3Action: { BucketName: 'live-data-111122223333-eu-west-1', ObjectKeyPrefix: 'mail/inbound/' } }]) }) });
    product.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ WORKFLOW_TABLE: 'Live-workflow' }) } });
  });

  it('builds one Lambda per function spec: Node.js 24, arm64, its memory and timeout', () => {
    const specs = Object.values(functionSpecs);
    // Besides the product's functions, only the two that run during deploys to activate the rule set.
    const deployOnly = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('ReceiptRuleSetActivationProvider'));
    expect(deployOnly).toHaveLength(2);
    template.resourceCountIs('AWS::Lambda::Function', specs.length + deployOnly.length);
    for (const spec of specs) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: spec.memoryMb,
        Timeout: spec.timeoutSeconds,
        Description: spec.description,
        Environment: { Variables: Match.objectLike({ ...settings, NODE_OPTIONS: Match.absent() }) },
      });
    }
  });

  it('gives functions no managed policy and keeps their logs 90 days', () => {
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('routes every entry of the route table to its function', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length);
    for (const route of routes) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: route.access === 'public' ? 'NONE' : 'CUSTOM',
      });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { PayloadFormatVersion: '2.0' });
  });

  it('puts the operator authorizer, simple responses with a 30 s cache, on every operator route only', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.authorization'],
      AuthorizerResultTtlInSeconds: 30,
    });
    const operatorRoutes = routes.filter((r) => r.access === 'operator');
    expect(operatorRoutes.length).toBeGreaterThan(0);
    const routeResources = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Array<{
      Properties: { RouteKey: string; AuthorizerId?: unknown };
    }>;
    for (const route of routes) {
      const resource = routeResources.find((r) => r.Properties.RouteKey === `${route.method} ${route.path}`);
      expect(resource?.Properties.AuthorizerId !== undefined).toBe(route.access === 'operator');
    }
  });

  it('throttles every route on its own bucket: operator routes above public ones, public writes lowest', () => {
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage')) as Array<{
      DependsOn?: string[];
      Properties: { DefaultRouteSettings: Record<string, number>; RouteSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> };
    }>;
    expect(stages).toHaveLength(1);
    const stage = stages[0];
    if (stage === undefined) throw new Error('no stage');
    expect(Object.keys(stage.Properties.RouteSettings).sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    const rate = (key: string) => stage.Properties.RouteSettings[key]?.ThrottlingRateLimit ?? Infinity;
    const byAccess = (test: (r: (typeof routes)[number]) => boolean) => routes.filter(test).map((r) => rate(`${r.method} ${r.path}`));
    const operator = byAccess((r) => r.access === 'operator');
    const publicRoutes = byAccess((r) => r.access === 'public');
    const publicWrites = byAccess((r) => r.clientLimit !== undefined);
    expect(Math.min(...operator)).toBeGreaterThan(Math.max(...publicRoutes));
    expect(Math.max(...publicWrites)).toBeLessThan(Math.min(...byAccess((r) => r.access === 'public' && r.clientLimit === undefined)));
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: expect.any(Number) as unknown, ThrottlingBurstLimit: expect.any(Number) as unknown });
    // The stage is created after every route its settings name.
    const routeIds = Object.keys(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routeIds).toHaveLength(routes.length);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('lets the functions behind per-client-limited routes count in the state table', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } } }>;
    const stateTable = /:table\/Test-state["/]/;
    for (const route of routes.filter((r) => r.clientLimit !== undefined)) {
      const statements = policies.filter((p) => p.Properties.Roles.some((r) => r.Ref.startsWith(`${route.fn}Role`))).flatMap((p) => p.Properties.PolicyDocument.Statement);
      const onState = statements.filter((st) => stateTable.test(JSON.stringify(st.Resource))).flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
      expect({ fn: route.fn, canCount: onState.includes('dynamodb:UpdateItem') }).toEqual({ fn: route.fn, canCount: true });
    }
  });

  it('keeps every function that calls Pinterest (and so may refresh tokens) shorter than the refresh lease', () => {
    const callers = Object.entries(functionSpecs).filter(([, spec]) => (spec as { callsPinterest?: true }).callsPinterest === true);
    expect(callers.map(([id]) => id).sort()).toEqual(['checkPin', 'createBoard', 'getBoardSections', 'oauthCallback', 'publishPin', 'reconcilePins', 'refreshTokens', 'resolvePin', 'sweepPublishing', 'syncBoards']);
    for (const [id, spec] of callers) expect({ id, shorter: spec.timeoutSeconds < tokenLeaseSeconds }).toEqual({ id, shorter: true });
  });

  it('keeps every function behind an API route within API Gateway’s 30 s integration timeout (answers, not a 504)', () => {
    for (const route of routes) {
      const spec = functionSpecs[route.fn];
      expect({ route: `${route.method} ${route.path}`, within: spec.timeoutSeconds < 30 }).toEqual({ route: `${route.method} ${route.path}`, within: true });
    }
  });

  it('keeps the Pin-creation function shorter than a publish claim’s lease, so an ended lease has no live holder', () => {
    expect(functionSpecs.publishPin.timeoutSeconds).toBeLessThan(publishLeaseSeconds);
  });

  it('lets SES of this account only invoke the inbound mail function, asynchronously retried twice within six hours', () => {
    const fnId = stack.getLogicalId(stack.functions.receiveMail.fn.node.defaultChild as never);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      Principal: 'ses.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: ruleArn,
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      Qualifier: '$LATEST',
    });
    // SES may invoke no other function.
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')) as Array<{ Properties: { Principal: string; FunctionName: unknown } }>;
    const bySes = permissions.filter((p) => p.Properties.Principal === 'ses.amazonaws.com');
    expect(bySes.map((p) => JSON.stringify(p.Properties.FunctionName))).toEqual([JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] })]);
  });

  it('receives support mail: its own rule set, one rule for SUPPORT_EMAIL with scanning and TLS, the raw message under mail/inbound/, then receiveMail asynchronously', () => {
    const fnId = stack.getLogicalId(stack.functions.receiveMail.fn.node.defaultChild as never);
    const bucketName = { 'Fn::Join': ['', ['test-data-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]] };
    template.hasResourceProperties('AWS::SES::ReceiptRuleSet', { RuleSetName: 'Test-inbound' });
    template.hasResourceProperties('AWS::SES::ReceiptRule', {
      RuleSetName: { Ref: Match.anyValue() },
      Rule: {
        Name: 'Test-support',
        Enabled: true,
        Recipients: ['info@ecooffice.net'],
        ScanEnabled: true,
        TlsPolicy: 'Require',
        Actions: [
          { S3Action: { BucketName: bucketName, ObjectKeyPrefix: 'mail/inbound/' } },
          { LambdaAction: { FunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] }, InvocationType: 'Event' } },
        ],
      },
    });
    // SES may write under mail/inbound/ only, for this account and this rule (its ARN from fixed names):
    // the data stack's bucket policy.
    dataTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'ses.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::test-data-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }, '/mail/inbound/*']] },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': ruleArn } },
          }),
        ]),
      },
    });
    // The rule waits for both permissions (SES checks them when the rule is created): the function's in
    // this stack, the bucket policy in the data stack, which deploys first.
    const rule = Object.entries(template.findResources('AWS::SES::ReceiptRule'))[0]?.[1] as { DependsOn?: string[] };
    expect(rule.DependsOn?.some((id) => id.includes('SesInvokesReceiver'))).toBe(true);
    expect(stack.dependencies).toContain(stack.dataStack);
    // Off by default: the activation resource is there (to deactivate the set on delete, however it was
    // activated) but does not activate it; it is created after the rule and so deleted before it.
    template.resourceCountIs('Custom::AWS', 0);
    const activations = Object.values(template.findResources('Custom::ReceiptRuleSetActivation')) as Array<{ Properties: Record<string, unknown>; DependsOn?: string[] }>;
    expect(activations).toHaveLength(1);
    expect(activations[0]?.Properties).toEqual({ ServiceToken: expect.anything(), RuleSetName: 'Test-inbound', Activate: 'false' });
    expect(activations[0]?.DependsOn?.some((id) => id.startsWith('MailReceivingRuleSetSupport'))).toBe(true);
    expect(template.findOutputs('ReceiptRuleSetReplaced')).toEqual({});
    // The function behind it reads and sets the active set and writes its own logs, nothing else.
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('ReceiptRuleSetActivationProviderPartsRole'));
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { Roles: unknown[]; PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } } }>;
    const statements = policies.filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }])).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements.map((statement) => statement.Action)).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['ses:DescribeActiveReceiptRuleSet', 'ses:SetActiveReceiptRuleSet'],
    ]);
  });

  it('takes RECEIVE_MAIL_FOR as the recipients, and activates the rule set only when asked', () => {
    const app = testApp();
    const activated = new PublisherStack(app, 'Mail', { settings: { ...settings, RECEIVE_MAIL_FOR: 'info@ecooffice.net, support.ecooffice.net', ACTIVATE_RECEIPT_RULE_SET: 'true' } });
    expect(() => app.synth()).not.toThrow();
    const t = Template.fromStack(activated);
    t.hasResourceProperties('AWS::SES::ReceiptRule', { Rule: Match.objectLike({ Recipients: ['info@ecooffice.net', 'support.ecooffice.net'] }) });
    t.hasResourceProperties('Custom::ReceiptRuleSetActivation', { RuleSetName: 'Mail-inbound', Activate: 'true' });
    // Which set the activation replaced, if any, is an output of the deploy.
    t.hasOutput('ReceiptRuleSetReplaced', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MailReceivingActivation'), 'Replaced'] } });
    expect(() => new PublisherStack(testApp(), 'Bad', { settings: { ...settings, RECEIVE_MAIL_FOR: 'not an address' } })).toThrow(/RECEIVE_MAIL_FOR/);
  });

  it('sends every asynchronous function’s failed events to a queue of its own (also from EventBridge), and alarms on it', () => {
    // Asynchronous: invoked by a service (asyncSource), by another function (`invokes`), or by a schedule.
    const asynchronous = (Object.keys(functionSpecs) as Array<keyof typeof functionSpecs>).filter(
      (fnId) =>
        (functionSpecs[fnId] as { asyncSource?: unknown }).asyncSource !== undefined ||
        Object.values(functionSpecs).some((spec) => ((spec.grants as { invokes?: readonly string[] }).invokes ?? []).includes(fnId)) ||
        schedules.some((schedule) => schedule.fn === fnId),
    );
    expect([...asynchronous].sort()).toEqual(['receiveMail', 'reconcilePins', 'refreshTokens', 'sweepPublishing', 'syncBoards']);
    for (const fnId of Object.keys(functionSpecs) as Array<keyof typeof functionSpecs>) {
      const failures = stack.functions[fnId].failures;
      expect({ fnId, queue: failures !== undefined }).toEqual({ fnId, queue: asynchronous.includes(fnId) });
    }
    for (const fnId of asynchronous) {
      const fnRef = stack.getLogicalId(stack.functions[fnId].fn.node.defaultChild as never);
      const queueId = stack.getLogicalId(stack.functions[fnId].failures?.node.defaultChild as never);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnRef },
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
      template.hasResourceProperties('AWS::SQS::Queue', Match.objectLike({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 }));
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Threshold: 1,
      });
    }
    // A schedule EventBridge could not deliver lands in the same queue.
    for (const schedule of schedules) {
      const queueId = stack.getLogicalId(stack.functions[schedule.fn].failures?.node.defaultChild as never);
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } }, RetryPolicy: { MaximumRetryAttempts: 2 } })],
      });
    }
  });

  it('mails OPERATOR_NOTIFY_EMAIL through one topic: the API’s 5xx answers, errors and throttles of every asynchronous function, stuck Pin records, token refresh problems, each alarm and its end', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'operator@example.test' });
    const topicId = stack.getLogicalId(stack.operations.topic.node.defaultChild as never);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: { AlarmActions: unknown[]; OKActions: unknown[]; Metrics?: Array<{ Expression?: string }> } }>;
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
    // Every function answering through the API (each route's, and the authorizer) is covered by the
    // API's 5xx alarm; every other one is asynchronous and has an alarm of its own.
    const routed = new Set<string>([...routes.map((route) => route.fn), operatorAuthorizer.fn]);
    const fnIds = Object.keys(functionSpecs) as Array<keyof typeof functionSpecs>;
    const ownAlarm = fnIds.filter((fnId) => !routed.has(fnId));
    expect(ownAlarm.sort()).toEqual(['receiveMail', 'reconcilePins', 'refreshTokens', 'sweepPublishing', 'syncBoards']);
    expect(routed.size + ownAlarm.length).toBe(fnIds.length);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: stack.getLogicalId(stack.api.httpApi.node.defaultChild as never) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarms.filter((alarm) => alarm.Properties.Metrics?.some((m) => m.Expression === 'FILL(errors, 0) + FILL(throttles, 0)'))).toHaveLength(ownAlarm.length);
    // Each asynchronous function's alarm adds its own errors and throttles.
    for (const fnId of ownAlarm) {
      const fnRef = stack.getLogicalId(stack.functions[fnId].fn.node.defaultChild as never);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({ Id: 'errors', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnRef } }] }) }) }),
          Match.objectLike({ Id: 'throttles', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Throttles', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnRef } }] }) }) }),
        ]),
      });
    }
    // The whole set: one per asynchronous function and its failure queue, the API, stuck records and
    // refresh problems, each named after the stack and what it watches (the subject of its mail).
    expect(alarms).toHaveLength(ownAlarm.length * 2 + 3);
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => (alarm as { Properties: { AlarmName: string } }).Properties.AlarmName);
    expect(names.sort()).toEqual(
      ['Test-ApiServerErrors', 'Test-StuckPinRecords', 'Test-TokenRefreshProblems', ...ownAlarm.flatMap((fnId) => [`Test-${fnId}Errors`, `Test-${fnId}FailedEvents`])].sort(),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: METRICS_NAMESPACE, MetricName: STUCK_METRIC, Threshold: 1 });
    // This deployment's own count (two deployments in one account and region keep apart).
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: 'TokenRefreshProblems',
      Dimensions: [{ Name: 'deployment', Value: 'Test' }],
      Statistic: 'Sum',
      Period: 86_400,
      Threshold: 1,
    });
    // Every function that may refresh tokens (each that calls Pinterest) feeds the refresh-problem metric.
    const callers = (Object.keys(functionSpecs) as Array<keyof typeof functionSpecs>).filter((fnId) => (functionSpecs[fnId] as { callsPinterest?: true }).callsPinterest === true);
    expect(callers.length).toBeGreaterThan(5);
    for (const fnId of callers) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: stack.getLogicalId(stack.functions[fnId].logGroup.node.defaultChild as never) },
        FilterPattern: '{ $.message = "token refresh problem" }',
        MetricTransformations: [
          { MetricNamespace: METRICS_NAMESPACE, MetricName: 'TokenRefreshProblems', MetricValue: '1', Dimensions: [{ Key: 'deployment', Value: '$.deployment' }] },
        ],
      });
    }
    template.resourceCountIs('AWS::Logs::MetricFilter', callers.length);
  });

  it('creates no secret: every secret value is set after deploy (npm run setup, npm run set-pinterest-app), never in the template', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    dataTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const text = JSON.stringify([template.toJSON(), dataTemplate.toJSON()]);
    expect(text).not.toMatch(/SecretString|GenerateSecretString|clientSecret|hashingKey"/);
  });

  it('gives each function only the storage and secrets its spec declares (least privilege)', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')) as Array<
      [string, { Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } } }]
    >;
    const statementsOf = (fnId: string) =>
      policies.filter(([, p]) => p.Properties.Roles.some((r) => r.Ref.startsWith(`${fnId}Role`))).flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const auditTable = /:table\/Test-audit["/]/;
    const secretReaders = (scope: string) =>
      Object.keys(functionSpecs).filter((fnId) => statementsOf(fnId).some((st) => JSON.stringify(st.Resource).includes(`secret:mdz-publisher/${scope}/*`)));
    for (const fnId of Object.keys(functionSpecs)) {
      const onAudit = statementsOf(fnId).filter((st) => auditTable.test(JSON.stringify(st.Resource)));
      const actions = onAudit.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
      // The security log is append-only for every function but the privacy requests' (pseudonymising entries).
      const writes = fnId === 'handlePrivacyRequest' ? ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'] : [];
      expect({ fnId, writes: actions.filter((a) => /Update|Delete|BatchWrite/.test(a)).sort() }).toEqual({ fnId, writes });
    }
    expect(secretReaders('app').sort()).toEqual(['checkPin', 'createBoard', 'createOAuthLink', 'getBoardSections', 'oauthCallback', 'openOAuthLink', 'publishPin', 'reconcilePins', 'refreshTokens', 'resolvePin', 'sweepPublishing', 'syncBoards']);
    // Only the functions that call Pinterest (through the token source, or the callback), disconnect and privacy deletion touch token secrets.
    expect(secretReaders('tokens').sort()).toEqual(['checkPin', 'createBoard', 'disconnectAccount', 'getBoardSections', 'handlePrivacyRequest', 'oauthCallback', 'publishPin', 'reconcilePins', 'refreshTokens', 'resolvePin', 'sweepPublishing', 'syncBoards']);
    expect(secretReaders('operator')).toEqual(['authorizeOperator']);
    // Health may only write its own logs.
    expect(statementsOf('getHealth').flatMap((st) => st.Action)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('writes access logs without client addresses', () => {
    const stages = template.findResources('AWS::ApiGatewayV2::Stage');
    const formats = Object.values(stages).map(
      (stage) => (stage as { Properties: { AccessLogSettings: { Format: string } } }).Properties.AccessLogSettings.Format,
    );
    expect(formats).toHaveLength(1);
    expect(formats[0]).toContain('$context.requestId');
    expect(formats[0]).not.toContain('sourceIp');
    // JSON, each field one variable, none of which carries a client address or a query string
    // (`$context.path` is the path alone on an HTTP API; a query may hold codes, states or tickets).
    const fields = JSON.parse(formats[0] ?? '{}') as Record<string, string>;
    expect(Object.values(fields).every((value) => /^\$context\.[A-Za-z.]+$/.test(value))).toBe(true);
    expect(Object.values(fields).filter((value) => /sourceIp|query|rawPath|caller|user$|accountId|cognito/i.test(value))).toEqual([]);
  });

  it('keeps the data bucket private and TLS-only', () => {
    dataTemplate.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    dataTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires raw mail, quarantined mail and privacy exports by lifecycle rules of their retention settings', () => {
    dataTemplate.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'mail/inbound/', ExpirationInDays: 365, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'mail/quarantine/', ExpirationInDays: 30, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'exports/', ExpirationInDays: 7, Status: 'Enabled' }),
        ]),
      },
    });
    const configured = Template.fromStack(
      new PublisherStack(testApp(), 'Retentions', { settings: { ...settings, RETENTION_SUPPORT_DAYS: '200', RETENTION_QUARANTINE_DAYS: '12', RETENTION_EXPORT_DAYS: '3' } }).dataStack,
    );
    configured.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'mail/inbound/', ExpirationInDays: 200 }),
          Match.objectLike({ Prefix: 'mail/quarantine/', ExpirationInDays: 12 }),
          Match.objectLike({ Prefix: 'exports/', ExpirationInDays: 3 }),
        ]),
      },
    });
  });

  it('derives PUBLIC_BASE_URL from the API endpoint when none is configured', () => {
    const bare = new PublisherStack(testApp(), 'Bare', {
      settings: { OPERATOR_NOTIFY_EMAIL: 'operator@example.test', SENDER_EMAIL: 'info@ecooffice.net' },
    });
    const env = Template.fromStack(bare).findResources('AWS::Lambda::Function');
    expect(Object.keys(functionSpecs).length).toBeGreaterThan(30);
    for (const target of Object.values(bare.functions)) {
      const fn = env[bare.getLogicalId(target.fn.node.defaultChild as never)];
      const vars = (fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment
        .Variables;
      expect(vars.PUBLIC_BASE_URL).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ApiHttpApi/), 'ApiEndpoint'] });
    }
  });

  it('fails synth naming a missing or unknown setting', () => {
    expect(() => new PublisherStack(testApp(), 'NoMail', { settings: { SENDER_EMAIL: 'info@ecooffice.net' } })).toThrow(
      'OPERATOR_NOTIFY_EMAIL is required',
    );
    expect(() => new PublisherStack(testApp(), 'Typo', { settings: { ...settings, PUBLIC_BASEURL: 'x' } })).toThrow(
      'Unknown settings: PUBLIC_BASEURL',
    );
  });

  it('names the StuckPinRecords metric as the sweeper emits it (namespace, name, service and deployment dimensions)', () => {
    const metric = stack.stuckPinRecords;
    expect({ namespace: metric.namespace, name: metric.metricName, dimensions: metric.dimensions, statistic: metric.statistic }).toEqual({
      namespace: METRICS_NAMESPACE,
      name: STUCK_METRIC,
      dimensions: { service: METRICS_SERVICE, deployment: 'Test' },
      statistic: 'Maximum',
    });
    // Every function knows its deployment's name, which the sweeper's metric and the refresh-problem line carry.
    for (const target of Object.values(stack.functions)) {
      const fn = template.findResources('AWS::Lambda::Function')[stack.getLogicalId(target.fn.node.defaultChild as never)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
      expect(fn.Properties.Environment.Variables.DEPLOYMENT_NAME).toBe('Test');
    }
    // The sweeper runs on the schedule the metric's period relies on.
    expect(schedules.find((s) => s.name === 'sweep-publishing')).toMatchObject({ fn: 'sweepPublishing', rateMinutes: 5 });
  });

  it('maps retention days to the smallest CloudWatch retention that keeps them', () => {
    expect(retentionFor(90)).toBe(90);
    expect(retentionFor(91)).toBe(120);
    expect(retentionFor(1)).toBe(1);
  });
});

describe('cdk-nag on this app', () => {
  it('fails synthesis on an unacknowledged finding (the check is live)', () => {
    const app = testApp();
    const stack = new Stack(app, 'Careless');
    new s3.Bucket(stack, 'OpenBucket');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});

describe('schedules', () => {
  it('creates one EventBridge rule per schedule table entry, targeting its function', () => {
    const app = testApp();
    const stack = new PublisherStack(app, 'Sched', { settings });
    new Schedules(stack, 'Extra', {
      schedules: [{ name: 'sweep-leases', fn: 'getHealth', rateMinutes: 5, description: 'test schedule' }],
      functions: stack.functions,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^getHealthFn'), 'Arn'] } })],
    });
    expect(() => app.synth()).not.toThrow();
  });
});
