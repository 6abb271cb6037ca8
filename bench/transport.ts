/**
 * `npx tsx bench/transport.ts`: the Pinterest client's HTTP transport, Node's own http/https
 * (`nodeTransport`, the default) against the undici one it replaced. Prints, per transport, the size
 * of a minified CJS bundle of a module that imports and builds it, its fresh-process load time
 * (interleaved runs, median and p90, against an empty bundle), and the warm latency of sequential
 * GETs (pooled keep-alive) and POSTs on a fresh connection against a local node:http server, in this
 * process. Figures only; no limits.
 *
 * undici is measured only while it is installed: the product no longer depends on it, and the undici
 * transport below is the one the client used before (kept here, not in shared/, for comparison).
 * RUNS (default 25) sets the load runs per bundle, CALLS (default 1000) the pooled GETs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { buildSync } from 'esbuild';
import { nodeTransport, type HttpTransport } from '../shared/adapters/pinterest/http';

const RUNS = Math.max(25, Number(process.env.RUNS ?? 25));
const CALLS = Number(process.env.CALLS ?? 1000);
const FRESH_CALLS = Math.max(50, Math.round(CALLS / 5));
const repoRoot = resolve(__dirname, '..');

/** The transport the client used before nodeTransport (shared/adapters/pinterest/http.ts, undici 7). */
const UNDICI_TRANSPORT = `
import { Agent, fetch as undiciFetch } from 'undici';
export function undiciTransport(connectTimeoutMs = 3000) {
  const shared = new Agent({ connect: { timeout: connectTimeoutMs }, keepAliveTimeout: 4000 });
  return async (url, request) => {
    const agent = request.freshConnection === true ? new Agent({ connect: { timeout: connectTimeoutMs }, pipelining: 0 }) : shared;
    try {
      const response = await undiciFetch(url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: request.signal,
        dispatcher: agent,
        redirect: 'manual',
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text: () => Promise.resolve(text) };
    } finally {
      if (agent !== shared) void agent.close();
    }
  };
}
`;

interface Variant {
  name: string;
  /** Module source (JS, resolved from the repository root) that imports and builds the transport. */
  entry: string;
  /** The transport in this process, for the latency runs. */
  transport?: HttpTransport;
  file?: string;
  bytes?: number;
  loads: number[];
}

function undiciInstalled(): boolean {
  try {
    createRequire(join(repoRoot, 'package.json')).resolve('undici');
    return true;
  } catch {
    return false;
  }
}

/** The undici transport in this process: the same source as bundled, compiled by esbuild. */
function loadUndiciTransport(dir: string): HttpTransport {
  const file = join(dir, 'undici-transport.js');
  buildSync({ stdin: { contents: UNDICI_TRANSPORT, resolveDir: repoRoot, loader: 'js' }, bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: file, logLevel: 'silent' });
  const loaded = createRequire(__filename)(file) as { undiciTransport: () => HttpTransport };
  return loaded.undiciTransport();
}

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
const sortedCopy = (values: number[]) => [...values].sort((a, b) => a - b);
const ms = (value: number) => (Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1));

function bundle(variant: Variant, dir: string, index: number): void {
  const file = join(dir, `bundle-${index}.js`);
  buildSync({
    stdin: { contents: variant.entry, resolveDir: repoRoot, loader: 'ts', sourcefile: `${variant.name}.ts` },
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: file,
    logLevel: 'silent',
  });
  variant.file = file;
  variant.bytes = statSync(file).size;
}

/** Fresh `node` processes requiring each bundle, round-robin so drift on a shared machine hits all alike. */
function measureLoads(variants: Variant[]): void {
  for (let run = 0; run < RUNS; run++) {
    for (const variant of variants) {
      const started = process.hrtime.bigint();
      execFileSync(process.execPath, ['-e', `require(${JSON.stringify(variant.file)})`], { stdio: 'ignore' });
      variant.loads.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
}

async function jsonServer(): Promise<{ server: Server; url: string; connections: () => number }> {
  let connections = 0;
  const body = JSON.stringify({ id: '1000000000000000001', username: 'miradigitalzen', account_type: 'BUSINESS' });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-pinterest-rid': 'bench' });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v5/user_account`, connections: () => connections };
}

/** Sequential calls; each timed from call to body read. Answers the sorted latencies in ms. */
async function latencies(transport: HttpTransport, url: string, calls: number, fresh: boolean): Promise<number[]> {
  const once = async () => {
    const response = await transport(url, {
      method: fresh ? 'POST' : 'GET',
      headers: { accept: 'application/json', authorization: 'Bearer pina_bench', ...(fresh ? { 'content-type': 'application/json' } : {}) },
      ...(fresh ? { body: '{"board_id":"1","title":"bench"}' } : {}),
      signal: AbortSignal.timeout(5000),
      freshConnection: fresh,
    });
    JSON.parse(await response.text());
  };
  for (let i = 0; i < 50; i++) await once(); // warm-up: JIT, pool
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    await once();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return sortedCopy(times);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mdz-bench-transport-'));
  const notes: string[] = [];
  try {
    const empty: Variant = { name: '(empty bundle)', entry: '', loads: [] };
    const node: Variant = {
      name: 'nodeTransport',
      entry: "import { nodeTransport } from './shared/adapters/pinterest/http';\n(globalThis as Record<string, unknown>).transport = nodeTransport();\n",
      transport: nodeTransport(),
      loads: [],
    };
    // Node's own modules alone: what any bundle using node:https (the AWS SDK's does) pays anyway.
    const builtins: Variant = { name: '(node:http+https only)', entry: "import * as http from 'node:http';\nimport * as https from 'node:https';\n(globalThis as Record<string, unknown>).modules = [http, https];\n", loads: [] };
    const variants = [empty, builtins, node];
    if (undiciInstalled()) {
      variants.push({ name: 'undiciTransport', entry: `${UNDICI_TRANSPORT}\n(globalThis as Record<string, unknown>).transport = undiciTransport();\n`, transport: loadUndiciTransport(dir), loads: [] });
    } else {
      notes.push('undici is not installed (the product no longer depends on it): only nodeTransport was measured.');
    }
    variants.forEach((variant, index) => {
      bundle(variant, dir, index);
    });
    measureLoads(variants);

    const { server, url, connections } = await jsonServer();
    const warm = new Map<Variant, { pooled: number[]; fresh: number[]; connections: number }>();
    try {
      for (const variant of variants) {
        if (variant.transport === undefined) continue;
        const before = connections();
        const pooled = await latencies(variant.transport, url, CALLS, false);
        const afterPooled = connections();
        const fresh = await latencies(variant.transport, url, FRESH_CALLS, true);
        warm.set(variant, { pooled, fresh, connections: afterPooled - before });
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }

    const emptyMedian = percentile(sortedCopy(empty.loads), 0.5);
    const rows = variants.map((variant) => {
      const loads = sortedCopy(variant.loads);
      const median = percentile(loads, 0.5);
      const measured = warm.get(variant);
      return [
        variant.name,
        String(variant.bytes ?? 0),
        ms(median),
        ms(percentile(loads, 0.9)),
        `${(median / emptyMedian).toFixed(2)}x`,
        variant === empty ? '-' : `${median >= emptyMedian ? '+' : '-'}${ms(Math.abs(median - emptyMedian))}`,
        measured ? ms(percentile(measured.pooled, 0.5)) : '-',
        measured ? ms(percentile(measured.pooled, 0.99)) : '-',
        measured ? String(measured.connections) : '-',
        measured ? ms(percentile(measured.fresh, 0.5)) : '-',
        measured ? ms(percentile(measured.fresh, 0.99)) : '-',
      ];
    });
    console.log(
      `Pinterest HTTP transport: node ${process.version}, ${RUNS} interleaved load runs per bundle, ${CALLS} pooled GETs (+50 warm-up), ${FRESH_CALLS} fresh-connection POSTs, local node:http server on 127.0.0.1\n`,
    );
    console.log(
      table(
        ['transport', 'bundle bytes', 'load p50 ms', 'load p90 ms', 'vs empty', 'added ms', 'GET p50 ms', 'GET p99 ms', 'sockets', 'fresh p50 ms', 'fresh p99 ms'],
        rows,
      ),
    );
    console.log('\nbundle: esbuild, minified, platform node, target node20, CJS, of a module that imports and builds the transport.');
    console.log('load: `node -e require(bundle)` in a fresh process, start to exit. sockets: connections opened for the pooled GETs (warm-up included).');
    for (const note of notes) console.log(`note: ${note}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
