/**
 * `npm run bench:cold-start`: bundles every function the way the CDK stack does (esbuild, minified,
 * CJS, AWS SDK included) and prints, per function, the bundle size and the median time to load it in
 * a fresh Node process (module scope = most of a Lambda cold start's init). Figures only; no limits.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildSync } from 'esbuild';
import { functionSpecs } from '../shared/routes';

const runs = Number(process.env.RUNS ?? 7);
const out = mkdtempSync(join(tmpdir(), 'mdz-bench-'));
const rows: string[] = [];
try {
  for (const [id, spec] of Object.entries(functionSpecs)) {
    // As the stack bundles (infra/constructs/publisher-function.ts), with content assets beside it.
    const dir = join(out, id);
    const file = join(dir, 'index.js');
    buildSync({ entryPoints: [spec.entry], bundle: true, minify: true, platform: 'node', target: 'node24', format: 'cjs', outfile: file, logLevel: 'silent' });
    for (const asset of 'assets' in spec ? spec.assets : []) copyFileSync(asset, join(dir, basename(asset)));
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = process.hrtime.bigint();
      execFileSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? 0;
    rows.push(`${id.padEnd(18)} ${(statSync(file).size / 1024).toFixed(0).padStart(6)} KiB   load median ${median.toFixed(0).padStart(4)} ms (${runs} runs, local node ${process.version})`);
  }
  const baseline = join(out, 'empty.js');
  buildSync({ stdin: { contents: '' }, outfile: baseline, logLevel: 'silent' });
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, ['-e', `require(${JSON.stringify(baseline)})`]);
  rows.push(`${'(empty bundle)'.padEnd(18)} ${'0'.padStart(6)} KiB   load ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0).padStart(4)} ms`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
console.log(rows.join('\n'));
