import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The local server's throughput against a bare node:http server answering the same JSON, both as
 * child processes, loaded from this process over loopback with a bounded number of keep-alive
 * requests. `npm start` runs as a user runs it (compact request logs, written to a pipe).
 */

type Print = (title: string, header: string[], rows: string[][]) => void;

/** Sends `total` GETs with `concurrency` keep-alive connections; answers requests per second. */
async function load(url: string, total: number, concurrency: number, headers: Record<string, string> = {}): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let sent = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  const worker = async () => {
    while (sent < total) {
      sent += 1;
      await one();
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return total / seconds;
}

function startChild(command: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcessByStdio<null, Readable, Readable>; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      reject(new Error(`not ready: ${out}`));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (out.length < 100_000) out += chunk.toString();
      const match = ready.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    });
    child.stderr.on('data', () => undefined);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${String(code)}: ${out}`));
    });
  });
}

export async function throughput(results: Record<string, unknown>, print: Print, ready = /Ready: (http:\/\/127\.0\.0\.1:\d+)/): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mdz-bench-local-'));
  const credential = 'bench-operator-credential-0123456789abcdef';
  const ports = { PORT: '0', DYNAMODB_PORT: '0', S3_PORT: '0', SES_PORT: '0', SECRETS_MANAGER_PORT: '0', PINTEREST_WWW_PORT: '0', PINTEREST_SANDBOX_PORT: '0', PINTEREST_PRODUCTION_PORT: '0' };
  const local = await startChild('node_modules/.bin/tsx', ['local/start.ts'], { ...ports, DATA_DIR: dataDir, LOCAL_OPERATOR_CREDENTIAL: credential }, ready);
  const bareSource = "const h=require('node:http');const s=h.createServer((q,r)=>{const b=JSON.stringify({status:'ok',startedAt:new Date().toISOString()});r.writeHead(200,{'content-type':'application/json; charset=utf-8','content-length':Buffer.byteLength(b)});r.end(b)});s.listen(0,'127.0.0.1',()=>console.log('Ready: http://127.0.0.1:'+s.address().port))";
  const bare = await startChild(process.execPath, ['-e', bareSource], {}, /Ready: (http:\/\/127\.0\.0\.1:\d+)/);
  try {
    const localUrl = local.match[1] ?? '';
    const bareUrl = bare.match[1] ?? '';
    const total = 3000;
    const concurrency = 8;
    await load(`${localUrl}/health`, 300, concurrency);
    await load(`${bareUrl}/health`, 300, concurrency);
    const figures = {
      bareRps: await load(`${bareUrl}/health`, total, concurrency),
      healthRps: await load(`${localUrl}/health`, total, concurrency),
      accountRps: await load(`${localUrl}/account`, total / 3, concurrency, { authorization: `Bearer ${credential}` }),
    };
    print(`Local server throughput (${String(total)} keep-alive GETs, ${String(concurrency)} connections, loopback; target /health ≥ 25 % of bare node:http)`, ['server', 'requests/s', 'vs bare'], [
      (['bare node:http, same JSON', figures.bareRps.toFixed(0), '100 %']),
      (['npm start: GET /health', figures.healthRps.toFixed(0), `${((figures.healthRps / figures.bareRps) * 100).toFixed(0)} %`]),
      (['npm start: GET /account (operator)', figures.accountRps.toFixed(0), `${((figures.accountRps / figures.bareRps) * 100).toFixed(0)} %`]),
    ]);
    results.localThroughput = figures;
  } finally {
    local.child.kill('SIGINT');
    bare.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 500));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

