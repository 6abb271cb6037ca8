import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../local/stack';
import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/responses';
import { throughput } from './lib/throughput';
import { call, countedCallback, countingRequests, minimums, openLink, operator, startLink } from './lib/operations';
import type { Counted } from './lib/counting';

/**
 * The bench's runtime parts, against the local emulators: warm handler latency and the middy stack's
 * overhead, requests and round trips per operation, Secrets Manager calls on warm requests, and the
 * local server's throughput against a bare node:http server. Function logs are produced as in Lambda
 * (JSON lines) but not printed, so their cost is measured without flooding the terminal.
 */

function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  return fn().finally(() => {
    process.stdout.write = write;
  });
}

async function latencies(n: number, fn: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const started = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n * 0.5)] ?? NaN, p99: times[Math.floor(n * 0.99)] ?? NaN };
}

function row(cells: Array<string | number>): string[] {
  return cells.map(String);
}

function print(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}`);
}

const describe = (c: Counted) => Object.entries(c.requests).map(([k, v]) => `${k}×${String(v)}`).join(', ');

async function warmLatency(calls: number, results: Record<string, unknown>): Promise<void> {
  // Warm every function and cache first.
  await quietly(async () => {
    await call('getAccount', { method: 'GET', url: '/account', headers: operator });
    await startLink();
  });
  const read = await quietly(() => latencies(calls, () => call('getAccount', { method: 'GET', url: '/account', headers: operator })));
  const write = await quietly(() => latencies(calls, () => startLink()));
  const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 5000 } as never;
  const bare = () => Promise.resolve(json(200, { status: 'ok' }));
  const wrapped = httpHandler(bare, { securityLog: false });
  const event = { version: '2.0', routeKey: 'GET /x', rawPath: '/x', rawQueryString: '', headers: {}, requestContext: { requestId: 'r', routeKey: 'GET /x', http: { method: 'GET', path: '/x', sourceIp: '127.0.0.1', userAgent: 'bench', protocol: 'HTTP/1.1' } }, isBase64Encoded: false } as never;
  const bareTimes = await latencies(calls * 10, bare);
  const middyTimes = await quietly(() => latencies(calls * 10, () => wrapped(event, context)));
  print(`Warm handler latency against the local emulators (ms, ${String(calls)} calls each; targets p99 ≤ 15 read, ≤ 25 conditional write)`, ['operation', 'p50', 'p99'], [
    row(['GET /account (read: 2 GetItem + log entry)', read.p50.toFixed(2), read.p99.toFixed(2)]),
    row(['POST /oauth/start (conditional write + 2 log entries)', write.p50.toFixed(2), write.p99.toFixed(2)]),
    row([`bare handler (${String(calls * 10)} calls)`, bareTimes.p50.toFixed(4), bareTimes.p99.toFixed(4)]),
    row([`middy stack around it, no storage (${String(calls * 10)} calls)`, middyTimes.p50.toFixed(4), middyTimes.p99.toFixed(4)]),
  ]);
  const overhead = middyTimes.p50 - bareTimes.p50;
  console.log(
    `middy stack: ${(middyTimes.p50 / bareTimes.p50).toFixed(0)}× the bare handler's p50, i.e. ${(overhead * 1000).toFixed(1)} µs per request, ` +
      `${((overhead / read.p50) * 100).toFixed(1)} % of the read route's p50`,
  );
  results.warm = { read, write, bare: bareTimes, middy: middyTimes, middyOverheadMs: middyTimes.p50 - bareTimes.p50 };
}

async function roundTrips(results: Record<string, unknown>): Promise<void> {
  const counter = countingRequests();
  const measured: Record<string, Counted> = {};
  await quietly(async () => {
    measured.getAccount = await counter.during(() => call('getAccount', { method: 'GET', url: '/account', headers: operator }));
    measured.createOAuthLink = await counter.during(() => startLink());
    const link = await startLink();
    measured.openOAuthLink = await counter.during(() => openLink(link));
    measured.oauthCallback = (await countedCallback(counter)).counted;
    const quietTo = new Date(Date.now() - 3_600_000).toISOString();
    measured.getAuditQuiet = await counter.during(() => call('getAudit', { method: 'GET', url: `/audit?to=${quietTo}&limit=50`, headers: operator }));
    measured.getAuditBusy = await counter.during(() => call('getAudit', { method: 'GET', url: '/audit?limit=100', headers: operator }));
  });
  const rows = Object.entries(measured).map(([name, c]) => {
    const minimum = (minimums as Record<string, { total?: number; roundTrips: number }>)[name];
    return row([name, c.total, minimum?.total ?? '—', c.roundTrips, minimum?.roundTrips ?? '—', describe(c)]);
  });
  print('Requests and sequential round trips per operation (warm), against the minimum the design allows', ['operation', 'requests', 'min', 'round trips', 'min', 'what'], rows);
  results.roundTrips = measured;
}

async function warmSecrets(results: Record<string, unknown>): Promise<void> {
  const counter = countingRequests();
  const routes: Array<[string, () => Promise<unknown>]> = [
    ['GET /account', () => call('getAccount', { method: 'GET', url: '/account', headers: operator })],
    ['POST /oauth/start', () => startLink()],
    ['GET /oauth/start', async () => openLink(await startLink())],
    ['GET /oauth/callback', () => countedCallback(counter)],
    ['GET /audit', () => call('getAudit', { method: 'GET', url: '/audit?limit=5', headers: operator })],
    ['GET /privacy', () => call('getPrivacy', { method: 'GET', url: '/privacy' })],
  ];
  const rows: string[][] = [];
  const figures: Record<string, number> = {};
  await quietly(async () => {
    for (const [name, run] of routes) {
      await run();
      const counted = await counter.during(run);
      const secrets = Object.entries(counted.requests).filter(([key]) => key.startsWith('SecretsManager.')).reduce((sum, [, n]) => sum + n, 0);
      figures[name] = secrets;
      rows.push(row([name, secrets]));
    }
  });
  print('Secrets Manager calls on a warm request (target 0; the authorizer is apart: it reads the credential hash on each cache miss of API Gateway)', ['route', 'calls'], rows);
  results.warmSecretsCalls = figures;
}

export async function runtimeParts(results: Record<string, unknown>, calls: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mdz-bench-stack-'));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
  const stack = await startLocalStack({ ports: { api: 0, dynamodb: 0, s3: 0, ses: 0, secretsManager: 0, pinterest: { www: 0, sandbox: 0, production: 0 } }, api: false, dataDir, operatorCredential: 'bench-operator-credential-0123456789abcdef' });
  try {
    stack.pinterest?.controls.setConsentMode('approve');
    await warmLatency(calls, results);
    await roundTrips(results);
    await warmSecrets(results);
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  await throughput(results, print);
}
