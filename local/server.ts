import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { routes, schedules, type RouteSpec } from '../shared/routes';
import { buildHttpApiEvent, readHttpApiResult } from './api-event';
import { AuthorizerGate } from './authorizer-gate';
import { Background, type Invoke } from './background';
import { createGuardedServer, originOf } from './guard';
import { readBody } from './http-body';
import { matchPathPattern } from './path-pattern';
import { answerInvoke, isInvokeRequest } from './lambda-invoke';
import { invoke } from './lambda-runtime';
import { closeServer, listen } from './listen';

/**
 * The local stand-in for API Gateway (HTTP API): matches the route table, runs the operator
 * authorizer on operator routes, builds a payload 2.0 event, invokes the handler in-process and
 * writes its result back. Answers that API Gateway itself gives (unknown route, missing or refused
 * credential, oversized body, a crashed or timed-out function) are copied byte for byte. It also runs
 * asynchronous invocations and schedules (./background.ts); `POST /__local/schedules/{name}` on the
 * loopback address triggers a schedule now (`npm run schedule -- <name>`). It serves Lambda's Invoke
 * API too (./lambda-invoke.ts), where the SDK's `AWS_ENDPOINT_URL_LAMBDA` points, so a function can
 * start another asynchronously. Requests must name it by a loopback Host and carry no Origin but its
 * own or PUBLIC_BASE_URL's (./guard.ts).
 */

/**
 * Matches a request against the route table as API Gateway does: the method and every literal segment
 * must match; `{name}` segments become path parameters. No match (including a wrong method) is a 404.
 */
export function matchRoute(method: string, path: string): { route: RouteSpec; pathParameters: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method.toUpperCase()) continue;
    const pathParameters = matchPathPattern(route.path, path);
    if (pathParameters !== undefined) return { route, pathParameters };
  }
  return undefined;
}

/** API Gateway's own payload limit for HTTP APIs. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Responses the stand-in gave itself (no function ran, so no function logged them): as API Gateway,
 * or as Lambda's Invoke API.
 */
type AnsweredAs = 'gateway' | 'lambda';
const answeredLocally = new WeakMap<ServerResponse, AnsweredAs>();

function gatewayAnswer(res: ServerResponse, status: number, message: string): void {
  answeredLocally.set(res, 'gateway');
  const body = JSON.stringify({ message });
  // API Gateway tags its own answers with a request id too.
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'apigw-requestid': randomUUID() });
  res.end(body);
}

/**
 * A line for each answer the stand-in gave itself, in the local log format (LOG_FORMAT), so every
 * request shows up once. The path never carries the query.
 */
function logGatewayAnswer(method: string, path: string, status: number, durationMs: number, as: AnsweredAs = 'gateway'): void {
  // Only `npm start` sets LOG_FORMAT; in-process tests of the stand-in stay quiet.
  if (process.env.LOG_FORMAT === undefined) return;
  const timestamp = new Date().toISOString();
  const line =
    process.env.LOG_FORMAT === 'compact'
      ? `${timestamp.slice(11, 19)} ${method} ${path} ${String(status)} ${String(durationMs)}ms (${as})`
      : JSON.stringify({ level: 'INFO', message: `${as} answer`, timestamp, service: `local-${as}`, method, path, status, durationMs });
  process.stdout.write(`${line}\n`);
}

interface Runtime {
  gate: AuthorizerGate;
  background: Background;
}

/** Local-only control routes; never part of the product's API. */
function handleLocalControl(req: IncomingMessage, res: ServerResponse, path: string, runtime: Runtime): boolean {
  const trigger = /^\/__local\/schedules\/([\w-]+)$/.exec(path);
  if (trigger === null || req.method !== 'POST') return false;
  const name = trigger[1] ?? '';
  if (runtime.background.trigger(name)) gatewayAnswer(res, 202, `schedule ${name} triggered`);
  else gatewayAnswer(res, 404, `no schedule named ${name} (${schedules.length === 0 ? 'there are no schedules yet' : `schedules: ${schedules.map((s) => s.name).join(', ')}`})`);
  return true;
}

async function handle(req: IncomingMessage, res: ServerResponse, runtime: Runtime): Promise<void> {
  const url = req.url ?? '/';
  const path = url.split('?')[0] ?? '/';
  if (path.startsWith('/__local/') && handleLocalControl(req, res, path, runtime)) return;
  if (isInvokeRequest(req.method, path)) {
    answeredLocally.set(res, 'lambda');
    await answerInvoke(req, res, url, runtime.background);
    return;
  }
  const match = matchRoute(req.method ?? 'GET', path);
  if (match === undefined) {
    gatewayAnswer(res, 404, 'Not Found');
    return;
  }
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === 'too_large') {
    gatewayAnswer(res, 413, 'Request Entity Too Large');
    return;
  }
  const event = buildHttpApiEvent({
    method: req.method ?? 'GET',
    url,
    // Every value of a repeated header (Node's req.headers keeps only the first Authorization, say):
    // API Gateway joins them with commas.
    headers: req.headersDistinct,
    body,
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    routeKey: `${match.route.method} ${match.route.path}`,
    pathParameters: match.pathParameters,
  });
  if (match.route.access === 'operator') {
    let outcome;
    try {
      outcome = await runtime.gate.check(event);
    } catch (error) {
      console.error('[local] authorizer failed:', error instanceof Error ? error.message : 'unknown error');
      gatewayAnswer(res, 500, 'Internal Server Error');
      return;
    }
    if ('status' in outcome) {
      gatewayAnswer(res, outcome.status, outcome.status === 401 ? 'Unauthorized' : 'Forbidden');
      return;
    }
    Object.assign(event.requestContext, { authorizer: { lambda: outcome.context } });
  }
  let result;
  try {
    result = readHttpApiResult((await invoke(match.route.fn, event)));
  } catch (error) {
    // Lambda crashed or timed out: API Gateway hides the reason behind a fixed 500.
    console.error(`[local] ${match.route.fn} failed:`, error instanceof Error ? error.message : 'unknown error');
    gatewayAnswer(res, 500, 'Internal Server Error');
    return;
  }
  const headers: Record<string, string | string[]> = { ...result.headers };
  if (result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  headers['content-length'] = String(result.body.length);
  headers['apigw-requestid'] = event.requestContext.requestId;
  res.writeHead(result.statusCode, headers);
  res.end(result.body);
}

export interface LocalServer {
  server: Server;
  url: string;
  background: Background;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  /** Runs the background's work (Event invocations, schedules); tests pass a spy. The Lambda runtime's by default. */
  invoke?: Invoke;
}

/** Starts the local API on 127.0.0.1 (port 0 picks a free one) with its schedules running. */
export async function startApiServer(port = 0, host = '127.0.0.1', options: ApiServerOptions = {}): Promise<LocalServer> {
  const background = new Background({ invoke: options.invoke ?? invoke, schedules, log: (line) => { console.error(line); } });
  const runtime: Runtime = { gate: new AuthorizerGate(), background };
  // Pages served under PUBLIC_BASE_URL (a tunnel or proxy in front of this server) may post to it.
  const extraOrigins = (): string[] => {
    const origin = originOf(process.env.PUBLIC_BASE_URL);
    return origin === undefined ? [] : [origin];
  };
  const server = createGuardedServer((req, res) => {
    const startedAt = Date.now();
    res.once('finish', () => {
      const as = answeredLocally.get(res);
      if (as !== undefined) logGatewayAnswer(req.method ?? 'GET', (req.url ?? '/').split('?')[0] ?? '/', res.statusCode, Date.now() - startedAt, as);
    });
    handle(req, res, runtime).catch((error: unknown) => {
      console.error('[local] request handling failed:', error instanceof Error ? error.message : 'unknown error');
      if (!res.headersSent) gatewayAnswer(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  }, {
    extraOrigins,
    onRefused: (req) => {
      logGatewayAnswer(req.method ?? 'GET', (req.url ?? '/').split('?')[0] ?? '/', 403, 0);
    },
  });
  const boundPort = await listen(server, port, host);
  background.startSchedules();
  return {
    server,
    url: `http://${host}:${boundPort}`,
    background,
    close: async () => {
      await closeServer(server);
      await background.stop();
    },
  };
}
