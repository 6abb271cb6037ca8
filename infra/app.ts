import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { settingsSchema } from '../shared/config';
import { DEFAULT_SECRET_PREFIX, SECRET_PREFIX_PATTERN } from '../shared/secrets';
import { PublisherStack } from './publisher-stack';

/**
 * The CDK app. Settings come from cdk.json (`context.publisher.settings`), overridden by environment
 * variables of the same names at synth/deploy time. cdk-nag's AwsSolutions pack checks every synth;
 * an unacknowledged finding fails it.
 */
const contextSchema = z.object({
  stackName: z.string().min(1).default('MiraDigitalZenPublisher'),
  // Every secret of the deployment is named under it: a second deployment in the same account and
  // region needs its own (and the set-up scripts its `--prefix`).
  secretPrefix: z
    .string()
    .regex(SECRET_PREFIX_PATTERN, 'secretPrefix: letters, digits and _+=.@- in /-separated parts, ending with /')
    .default(DEFAULT_SECRET_PREFIX),
  settings: z.record(z.string(), z.string()).default({}),
});

const app = new App();
const context = contextSchema.parse(app.node.tryGetContext('publisher') ?? {});
const fromEnv = Object.fromEntries(
  Object.keys(settingsSchema.shape).flatMap((name) => {
    const value = process.env[name];
    return value === undefined || value === '' ? [] : [[name, value]];
  }),
);

new PublisherStack(app, context.stackName, {
  settings: { ...context.settings, ...fromEnv },
  secretPrefix: context.secretPrefix,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'MiraDigitalZen Publisher: approval-gated Pinterest publisher',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
