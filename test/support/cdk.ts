import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const cdkJson = JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as { context: Record<string, unknown> };

/**
 * A CDK app with the project's own cdk.json context (feature flags included), asset bundling skipped
 * so tests do not run esbuild, and cdk-nag's AwsSolutions pack attached as in infra/app.ts.
 */
export function testApp(): App {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}
