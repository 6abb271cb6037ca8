import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * infra/app.ts as the CDK CLI runs it (context in CDK_CONTEXT_JSON, output in CDK_OUTDIR, bundling
 * skipped): a second deployment in the same account and region takes its own stack name and secret
 * prefix from cdk.json's context.
 */

const repoRoot = join(__dirname, '../..');
const cdkJson = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> & { publisher: { settings: Record<string, string> } } };

function synth(publisher: Record<string, unknown>): Promise<{ code: number | null; stderr: string; outdir: string }> {
  const outdir = mkdtempSync(join(tmpdir(), 'mdz-app-'));
  const context = { ...cdkJson.context, publisher: { ...cdkJson.context.publisher, ...publisher }, 'aws:cdk:bundling-stacks': [] };
  const env = { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir };
  return new Promise((resolve) => {
    execFile(join(repoRoot, 'node_modules/.bin/tsx'), ['infra/app.ts'], { cwd: repoRoot, env, timeout: 120_000 }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stderr, outdir });
    });
  });
}

describe('the CDK app', () => {
  it('names a second deployment’s stacks, data and secrets after its own stackName and secretPrefix', async () => {
    const run = await synth({ stackName: 'SecondPublisher', secretPrefix: 'second-publisher/' });
    try {
      expect(run.code).toBe(0);
      const template = (stack: string) => JSON.stringify(JSON.parse(readFileSync(join(run.outdir, `${stack}.template.json`), 'utf8')));
      const product = template('SecondPublisher');
      const data = template('SecondPublisher-Data');
      expect(data).toContain('"TableName":"SecondPublisher-workflow"');
      expect(product).toContain('"SECRET_PREFIX":"second-publisher/"');
      expect(product).toContain(':secret:second-publisher/tokens/*');
      expect(product).not.toContain('mdz-publisher/');
    } finally {
      rmSync(run.outdir, { recursive: true, force: true });
    }
  }, 150_000);

  it('stops on a secret prefix that cannot name a secret, naming the setting', async () => {
    const run = await synth({ secretPrefix: 'no trailing slash' });
    rmSync(run.outdir, { recursive: true, force: true });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('secretPrefix');
  }, 150_000);
});
