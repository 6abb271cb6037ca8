import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeActiveReceiptRuleSetCommand, SESClient, SetActiveReceiptRuleSetCommand } from '@aws-sdk/client-ses';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';

/**
 * The receipt rule set activation, as a custom resource the stack always has (infra/constructs/mail-receiving.ts).
 * SES has one active rule set per region, so every step first reads which set is active:
 * - created or updated with `Activate: 'true'`: makes the stack's set the active one, unless it already is;
 * - updated from `'true'` to `'false'`: deactivates the set only if it is still the stack's;
 * - deleted (the stack is being deleted): deactivates the set only if it is the stack's, whoever activated
 *   it (SES refuses to delete an active set, so a set activated by hand would block the delete), and never
 *   another one.
 * A set left `'false'` is never touched: one activated by hand stays active through every deploy.
 *
 * Runs under CDK's custom-resource provider framework, which answers CloudFormation with what this returns.
 */

/** The one thing the steps need from SES. */
export interface RuleSets {
  /** The region's active rule set, or undefined when none is. */
  active(): Promise<string | undefined>;
  activate(name: string): Promise<void>;
  /** Leaves the region with no active set. */
  deactivateAll(): Promise<void>;
}

const propertiesSchema = z.object({
  RuleSetName: z.string().min(1),
  Activate: z.enum(['true', 'false']),
});

export interface ActivationResult {
  PhysicalResourceId: string;
  Data: {
    /** Whether the stack's set is the active one when the step ends. */
    Active: 'true' | 'false';
    /** The set an activation replaced (`none` when it replaced none or did not activate). */
    Replaced: string;
  };
}

export async function onEvent(event: CloudFormationCustomResourceEvent, sets: RuleSets): Promise<ActivationResult> {
  const props = propertiesSchema.parse(event.ResourceProperties);
  const name = props.RuleSetName;
  const result = (active: boolean, replaced = 'none'): ActivationResult => ({
    // The set's name never changes for a stack, so CloudFormation never replaces this resource.
    PhysicalResourceId: name,
    Data: { Active: active ? 'true' : 'false', Replaced: replaced },
  });
  const active = await sets.active();

  if (event.RequestType === 'Delete') {
    if (active === name) await sets.deactivateAll();
    return result(false);
  }
  if (props.Activate === 'true') {
    if (active === name) return result(true);
    await sets.activate(name);
    return result(true, active ?? 'none');
  }
  const wasActivating = event.RequestType === 'Update' && propertiesSchema.safeParse(event.OldResourceProperties).data?.Activate === 'true';
  if (wasActivating && active === name) {
    await sets.deactivateAll();
    return result(false);
  }
  return result(active === name);
}

/** RuleSets through SES's API (receipt rules are in SES's first API version only). */
export function sesRuleSets(client: SESClient): RuleSets {
  return {
    active: async () => (await client.send(new DescribeActiveReceiptRuleSetCommand({}))).Metadata?.Name,
    activate: async (name) => {
      await client.send(new SetActiveReceiptRuleSetCommand({ RuleSetName: name }));
    },
    deactivateAll: async () => {
      // No name: no set is active afterwards.
      await client.send(new SetActiveReceiptRuleSetCommand({}));
    },
  };
}

const ses = sesRuleSets(new SESClient({}));
const logger = new Logger({ serviceName: 'mdz-publisher-deploy' });

export const handler = async (event: CloudFormationCustomResourceEvent): Promise<ActivationResult> => {
  const outcome = await onEvent(event, ses);
  logger.info('receipt rule set activation', { requestType: event.RequestType, ruleSet: outcome.PhysicalResourceId, ...outcome.Data });
  return outcome;
};
