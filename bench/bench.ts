/**
 * `npm run bench`: the performance figures, printed as one table per part and written as JSON to
 * bench/results/latest.json. Figures only: nothing here passes or fails (the budgets that can be
 * asserted, sizes and counts, are tests in test/budgets/). Every comparison is made within one run,
 * against a control built and measured in the same run, because this machine is shared and noisy.
 *
 * Parts: bundles (own / SDK / other third party) and fresh-process load against an SDK-only control;
 * source maps on and off; warm handler latency against the local emulators and the middy stack's
 * overhead; requests and round trips per operation; Secrets Manager calls on warm requests; the
 * local server's throughput against a bare node:http server.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { analyseAll } from './lib/bundles';
import { bundleSource } from './lib/bundles';
import { loaderNode, measureLoads, writeBundle } from './lib/load';
import { execFileSync } from 'node:child_process';
import { functionSpecs, type FunctionId } from '../shared/routes';

const RUNS = Number(process.env.BENCH_LOAD_RUNS ?? 25);
const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const loaderVersion = execFileSync(loaderNode, ['--version']).toString().trim();
const ms = (value: number) => value.toFixed(value < 10 ? 2 : 0);

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}`);
}

async function bundlesAndLoads(work: string, results: Record<string, unknown>): Promise<void> {
  const reports = await analyseAll();
  const files: Record<string, { file: string }> = {};
  for (const report of reports) {
    const spec = functionSpecs[report.id as FunctionId] as { assets?: readonly string[] };
    const assets = Object.fromEntries((spec.assets ?? []).map((asset) => [basename(asset), readFileSync(asset, 'utf8')]));
    files[report.id] = { file: writeBundle(work, report.id, report.code, assets) };
    if (report.sdkClients.length > 0 && files[`control:${report.sdkClients.join('+')}`] === undefined) {
      files[`control:${report.sdkClients.join('+')}`] = { file: writeBundle(work, `control-${report.id}`, (await bundleSource(report.controlSource, 'control')).code) };
    }
  }
  files.empty = { file: writeBundle(work, 'empty', '') };
  files['empty-handler'] = { file: writeBundle(work, 'empty-handler', 'exports.handler=async()=>({statusCode:200,body:"{}"});') };
  const loads = measureLoads(files, RUNS);
  const rows = reports.map((r) => {
    const load = loads[r.id];
    const control = r.sdkClients.length > 0 ? loads[`control:${r.sdkClients.join('+')}`] : loads['empty-handler'];
    const ratio = load !== undefined && control !== undefined ? load.medianMs / control.medianMs : Number.NaN;
    return [r.id, kib(r.bytes), kib(r.own), kib(r.sdk), kib(r.other), r.otherPackages.slice(0, 3).map(([p, b]) => `${p} ${kib(b)}`).join(', '), ms(load?.medianMs ?? NaN), ms(load?.p90Ms ?? NaN), ms(control?.medianMs ?? NaN), `${ratio.toFixed(2)}×`, r.sdkClients.length > 0 ? 'SDK-only control' : 'empty handler'];
  });
  table(`Bundles (KiB) and fresh-process load (ms, ${String(RUNS)} interleaved runs, node ${loaderVersion})`, ['function', 'bundle', 'own', 'SDK', 'other', 'largest other', 'load p50', 'p90', 'control p50', 'ratio', 'control'], rows);
  results.bundles = reports.map((r) => ({ id: r.id, bytes: r.bytes, own: r.own, sdk: r.sdk, other: r.other, otherPackages: r.otherPackages, sdkClients: r.sdkClients, load: loads[r.id] }));
  results.loads = loads;
}

async function sourceMaps(work: string, results: Record<string, unknown>): Promise<void> {
  const { build } = await import('esbuild');
  const { bundleOptions } = await import('./lib/bundles');
  const entry = functionSpecs.oauthCallback.entry;
  // The stack's choice (minified, names kept, no map) against minified bundles with and without maps.
  const minified = { ...bundleOptions, keepNames: false, entryPoints: [entry] };
  const variants = {
    'minified, no map': minified,
    'minified + map': { ...minified, sourcemap: 'external' as const, sourcesContent: false },
    'minified, names kept, no map (the stack)': { ...bundleOptions, entryPoints: [entry] },
  };
  const files: Record<string, { file: string; nodeOptions?: string }> = {};
  const sizes: Record<string, number> = {};
  for (const [name, options] of Object.entries(variants)) {
    const dir = join(work, `maps-${name.replace(/\W+/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, 'index.js');
    await build({ ...options, outfile, write: true });
    sizes[name] = readFileSync(outfile).length;
    files[name] = { file: outfile };
    if (name === 'minified + map') files['minified + map, --enable-source-maps'] = { file: outfile, nodeOptions: '--enable-source-maps' };
  }
  const loads = measureLoads(files, RUNS);
  const base = loads['minified, no map']?.medianMs ?? NaN;
  table(`Source maps: oauthCallback loaded ${String(RUNS)}× each (node ${loaderVersion})`, ['variant', 'bundle KiB', 'load p50', 'p90', 'vs no map'], Object.entries(loads).map(([name, load]) => [name, kib(sizes[name] ?? sizes['minified + map'] ?? 0), ms(load.medianMs), ms(load.p90Ms), `${(load.medianMs / base).toFixed(2)}×`]));
  results.sourceMaps = { sizes, loads };
}

async function main(): Promise<void> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'mdz-bench-'));
  const results: Record<string, unknown> = { machine: { node: process.version, loaderNode: loaderVersion, platform: `${process.platform}/${process.arch}`, cpus: (await import('node:os')).cpus().length }, at: new Date().toISOString() };
  try {
    await bundlesAndLoads(work, results);
    await sourceMaps(work, results);
    const { runtimeParts } = await import('./runtime');
    await runtimeParts(results, CALLS);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nWritten bench/results/latest.json in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
