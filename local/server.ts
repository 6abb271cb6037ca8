import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchRoute } from '../shared/routes';
import { buildHttpApiEvent, readHttpApiResult } from './api-event';
import { invoke } from './lambda-runtime';

/**
 * The local stand-in for API Gateway (HTTP API): matches the route table, builds a payload 2.0
 * event, invokes the handler in-process and writes its result back. Answers that API Gateway itself
 * gives (unknown route, oversized body, a crashed or timed-out function) are copied byte for byte.
 */

/** API Gateway's own payload limit for HTTP APIs. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

function gatewayAnswer(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      resolvePromise(size > MAX_BODY_BYTES ? 'too_large' : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const path = url.split('?')[0] ?? '/';
  const match = matchRoute(req.method ?? 'GET', path);
  if (match === undefined) {
    gatewayAnswer(res, 404, 'Not Found');
    return;
  }
  const body = await readBody(req);
  if (body === 'too_large') {
    gatewayAnswer(res, 413, 'Request Entity Too Large');
    return;
  }
  const event = buildHttpApiEvent({
    method: req.method ?? 'GET',
    url,
    headers: req.headers,
    body,
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    routeKey: `${match.route.method} ${match.route.path}`,
    pathParameters: match.pathParameters,
  });
  let result;
  try {
    result = readHttpApiResult((await invoke(match.route.fn, event)) as object | undefined);
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
  close(): Promise<void>;
}

/** Starts the local API on 127.0.0.1 (port 0 picks a free one). */
export async function startApiServer(port = 0, host = '127.0.0.1'): Promise<LocalServer> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('[local] request handling failed:', error instanceof Error ? error.message : 'unknown error');
      if (!res.headersSent) gatewayAnswer(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.closeAllConnections();
        server.close(() => {
          resolvePromise();
        });
      }),
  };
}
