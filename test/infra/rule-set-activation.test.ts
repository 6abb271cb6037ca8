import { SESClient } from '@aws-sdk/client-ses';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { onEvent, sesRuleSets, type RuleSets } from '../../infra/custom-resources/rule-set-activation';
import { httpServer } from '../support/loopback';

/**
 * The receipt rule set activation the stack runs during deploys: what it does to the region's one
 * active set on each request, first with a region held in memory, then through the real SES client
 * against a loopback server speaking SES's query protocol.
 */

const OURS = 'Publisher-inbound';
const OTHER = 'another-app-inbound';

type Props = { RuleSetName: string; Activate: 'true' | 'false' };

function event(type: 'Create' | 'Update' | 'Delete', props: Props, old?: Props): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://cloudformation-response.invalid/',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Publisher/1',
    RequestId: 'request-1',
    LogicalResourceId: 'MailReceivingActivation',
    ResourceType: 'Custom::ReceiptRuleSetActivation',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider', ...props },
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  if (type === 'Update') return { ...common, RequestType: 'Update', PhysicalResourceId: props.RuleSetName, OldResourceProperties: { ServiceToken: common.ServiceToken, ...(old ?? props) } };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: props.RuleSetName };
}

/** A region: which set is active, and every call that changed it. */
function memoryRegion(active?: string): RuleSets & { state(): string | undefined; changes: string[] } {
  let current = active;
  const changes: string[] = [];
  return {
    active: () => Promise.resolve(current),
    activate: (name) => {
      changes.push(`activate ${name}`);
      current = name;
      return Promise.resolve();
    },
    deactivateAll: () => {
      changes.push('deactivate');
      current = undefined;
      return Promise.resolve();
    },
    state: () => current,
    changes,
  };
}

const on: Props = { RuleSetName: OURS, Activate: 'true' };
const off: Props = { RuleSetName: OURS, Activate: 'false' };

describe('the rule set activation', () => {
  it('activates the stack’s set when asked, and says which set it replaced', async () => {
    const region = memoryRegion(OTHER);
    await expect(onEvent(event('Create', on), region)).resolves.toEqual({ PhysicalResourceId: OURS, Data: { Active: 'true', Replaced: OTHER } });
    expect(region.state()).toBe(OURS);
    const empty = memoryRegion();
    await expect(onEvent(event('Create', on), empty)).resolves.toEqual({ PhysicalResourceId: OURS, Data: { Active: 'true', Replaced: 'none' } });
  });

  it('changes nothing when the set is already active', async () => {
    const region = memoryRegion(OURS);
    await expect(onEvent(event('Update', on, on), region)).resolves.toEqual({ PhysicalResourceId: OURS, Data: { Active: 'true', Replaced: 'none' } });
    expect(region.changes).toEqual([]);
  });

  it('leaves the region alone while the setting is false: a set activated by hand stays active through every deploy', async () => {
    for (const active of [undefined, OTHER, OURS]) {
      const region = memoryRegion(active);
      const created = await onEvent(event('Create', off), region);
      const updated = await onEvent(event('Update', off, off), region);
      expect(region.changes).toEqual([]);
      expect(region.state()).toBe(active);
      expect([created.Data.Active, updated.Data.Active]).toEqual(active === OURS ? ['true', 'true'] : ['false', 'false']);
    }
  });

  it('deactivates the stack’s set when the setting goes back to false, but never another set', async () => {
    const ours = memoryRegion(OURS);
    await expect(onEvent(event('Update', off, on), ours)).resolves.toMatchObject({ Data: { Active: 'false' } });
    expect(ours.changes).toEqual(['deactivate']);
    // Someone activated another set since: it stays.
    const other = memoryRegion(OTHER);
    await onEvent(event('Update', off, on), other);
    expect(other.changes).toEqual([]);
    expect(other.state()).toBe(OTHER);
  });

  it('on delete, deactivates the stack’s set however it was activated (SES cannot delete an active set), and never another set', async () => {
    for (const props of [on, off]) {
      const ours = memoryRegion(OURS);
      await expect(onEvent(event('Delete', props), ours)).resolves.toEqual({ PhysicalResourceId: OURS, Data: { Active: 'false', Replaced: 'none' } });
      expect(ours.changes).toEqual(['deactivate']);
      for (const active of [undefined, OTHER]) {
        const region = memoryRegion(active);
        await onEvent(event('Delete', props), region);
        expect(region.changes).toEqual([]);
        expect(region.state()).toBe(active);
      }
    }
  });

  it('refuses properties it does not understand, changing nothing', async () => {
    const region = memoryRegion(OTHER);
    await expect(onEvent(event('Create', { RuleSetName: OURS, Activate: 'yes' as 'true' }), region)).rejects.toThrow(/Activate/);
    await expect(onEvent(event('Create', { RuleSetName: '', Activate: 'true' }), region)).rejects.toThrow(/RuleSetName/);
    expect(region.changes).toEqual([]);
  });
});

describe('the activation through the SES client', () => {
  let active: string | undefined;
  let server: Awaited<ReturnType<typeof httpServer>>;
  let ses: SESClient;
  const xml = (action: string, result: string) =>
    `<${action}Response xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`;

  beforeAll(async () => {
    // SES's query protocol: a form-encoded POST naming the action; XML answers.
    server = await httpServer((_req, res, body) => {
      const form = new URLSearchParams(body);
      res.setHeader('content-type', 'text/xml');
      if (form.get('Action') === 'DescribeActiveReceiptRuleSet') {
        res.end(xml('DescribeActiveReceiptRuleSet', active === undefined ? '' : `<Metadata><Name>${active}</Name><CreatedTimestamp>2026-11-01T00:00:00Z</CreatedTimestamp></Metadata><Rules/>`));
        return;
      }
      if (form.get('Action') === 'SetActiveReceiptRuleSet') {
        active = form.get('RuleSetName') ?? undefined;
        res.end(xml('SetActiveReceiptRuleSet', ''));
        return;
      }
      res.statusCode = 400;
      res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>unexpected</Message></Error></ErrorResponse>`);
    });
    ses = new SESClient({ region: 'eu-west-1', endpoint: `http://127.0.0.1:${String(server.port)}`, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  afterAll(async () => {
    ses.destroy();
    await server.close();
  });

  it('reads the active set, activates by name and deactivates with no name, as SES expects them', async () => {
    active = OTHER;
    const sets = sesRuleSets(ses);
    await expect(onEvent(event('Create', on), sets)).resolves.toMatchObject({ Data: { Active: 'true', Replaced: OTHER } });
    expect(active).toBe(OURS);
    await onEvent(event('Delete', on), sets);
    expect(active).toBeUndefined();
    await expect(sets.active()).resolves.toBeUndefined();
    const sent = server.requests.map(({ body }) => Object.fromEntries(new URLSearchParams(body)));
    expect(sent).toEqual([
      { Action: 'DescribeActiveReceiptRuleSet', Version: '2010-12-01' },
      { Action: 'SetActiveReceiptRuleSet', Version: '2010-12-01', RuleSetName: OURS },
      { Action: 'DescribeActiveReceiptRuleSet', Version: '2010-12-01' },
      { Action: 'SetActiveReceiptRuleSet', Version: '2010-12-01' },
      { Action: 'DescribeActiveReceiptRuleSet', Version: '2010-12-01' },
    ]);
  });

  it('runs as the Lambda handler the provider framework calls, with the SDK’s own configuration from the environment', async () => {
    active = OTHER;
    // As in Lambda: region and credentials from the environment; the endpoint variable points the SDK at the stub.
    const lambdaEnv: Record<string, string> = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_SES: `http://127.0.0.1:${String(server.port)}`,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
    const saved = Object.fromEntries(Object.keys(lambdaEnv).map((key) => [key, process.env[key]]));
    Object.assign(process.env, lambdaEnv);
    try {
      await jest.isolateModulesAsync(async () => {
        const { handler } = await import('../../infra/custom-resources/rule-set-activation');
        await expect(handler(event('Create', on))).resolves.toEqual({ PhysicalResourceId: OURS, Data: { Active: 'true', Replaced: OTHER } });
        await expect(handler(event('Delete', off))).resolves.toMatchObject({ Data: { Active: 'false' } });
      });
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) Reflect.deleteProperty(process.env, key);
        else process.env[key] = value;
      }
    }
    expect(active).toBeUndefined();
  });
});
