import { Template } from 'aws-cdk-lib/assertions';
import { PublisherStack } from '../../infra/publisher-stack';
import { functionBindingName } from '../../shared/config';
import type * as Routes from '../../shared/routes';
import { functionSpecs, type FunctionId } from '../../shared/routes';
import { testApp } from '../support/cdk';

/**
 * `invokes` grants through the whole stack (infra/publisher-stack.ts builds every function, then binds
 * them). The spec table is the real one with two grants added, the shape of the board sync: getAccount
 * starts refreshTokens asynchronously and refreshTokens re-invokes itself to go on, whatever the real
 * table grants (test/infra/grants.test.ts checks the real table's grants too).
 */
jest.mock('../../shared/routes', () => {
  const actual = jest.requireActual<typeof Routes>('../../shared/routes');
  const withInvokes = (id: 'getAccount' | 'refreshTokens') => ({
    ...actual.functionSpecs[id],
    grants: actual.grants(actual.functionSpecs[id].grants, { invokes: ['refreshTokens'] }),
  });
  return { ...actual, functionSpecs: { ...actual.functionSpecs, getAccount: withInvokes('getAccount'), refreshTokens: withInvokes('refreshTokens') } };
});

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

describe('a stack whose functions invoke functions', () => {
  const app = testApp();
  const stack = new PublisherStack(app, 'InvokesTest', {
    settings: { PUBLIC_BASE_URL: 'https://publisher.example.test', OPERATOR_NOTIFY_EMAIL: 'operator@example.test', SENDER_EMAIL: 'info@ecooffice.net' },
  });
  // Template.fromStack also fails on a dependency cycle: refreshTokens' policy and environment name itself.
  const template = Template.fromStack(stack);
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  const lambdaOf = (fnId: FunctionId) =>
    template.findResources('AWS::Lambda::Function')[logicalId(stack.functions[fnId].fn)] as {
      Properties: { FunctionName?: string; Environment: { Variables: Record<string, unknown> } };
    };
  const lambdaStatementsOf = (fnId: FunctionId) =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .map((p) => p as { Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Statement[] } } })
      .filter((p) => p.Properties.Roles.some((r) => r.Ref === logicalId(stack.functions[fnId].role)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s) => [s.Action].flat().some((action) => action.startsWith('lambda:')));
  const arnOf = (fnId: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:function:InvokesTest-${fnId}`]],
  });
  const ids = Object.keys(functionSpecs) as FunctionId[];
  const invokesOf = (fnId: FunctionId): readonly string[] => functionSpecs[fnId].grants.invokes ?? [];
  const invoked = new Set(ids.flatMap(invokesOf));

  it('starts from the real spec table with two grants added', () => {
    expect(invokesOf('getAccount')).toEqual(['refreshTokens']);
    expect(invokesOf('refreshTokens')).toEqual(['refreshTokens']);
  });

  it('names each invoked function <stack>-<id>, and no other', () => {
    for (const fnId of ids) {
      expect({ fnId, name: lambdaOf(fnId).Properties.FunctionName }).toEqual({ fnId, name: invoked.has(fnId) ? `InvokesTest-${fnId}` : undefined });
    }
  });

  it('gives each function exactly lambda:InvokeFunction on the ARNs of the functions it may invoke, and nothing Lambda to the others', () => {
    for (const fnId of ids) {
      const expected = invokesOf(fnId).map((target) => ({ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: arnOf(target) }));
      expect({ fnId, statements: lambdaStatementsOf(fnId) }).toEqual({ fnId, statements: expected });
    }
  });

  it('binds each function to exactly the names of the functions it may invoke', () => {
    for (const fnId of ids) {
      const bindings = Object.fromEntries(Object.entries(lambdaOf(fnId).Properties.Environment.Variables).filter(([name]) => name.startsWith('FUNCTION_')));
      const expected = Object.fromEntries(invokesOf(fnId).map((target) => [functionBindingName(target), `InvokesTest-${target}`]));
      expect({ fnId, bindings }).toEqual({ fnId, bindings: expected });
    }
    expect(lambdaOf('getAccount').Properties.Environment.Variables.FUNCTION_REFRESH_TOKENS).toBe('InvokesTest-refreshTokens');
  });

  it('synthesizes with no unacknowledged cdk-nag finding', () => {
    expect(() => app.synth()).not.toThrow();
  });
});
