import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGuardedServer } from '../../guard';
import { readBody } from '../../http-body';
import { closeServer, listen } from '../../listen';
import { ApiError } from './errors';
import { operations } from './operations';
import type { Context } from './records';
import { SecretStore } from './state';

export interface SecretsManagerEmulatorOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1: never other interfaces unless asked. */
  host?: string;
  /** JSON file for persistence; absent = memory only. */
  dataFile?: string;
  /** Injectable time; default `() => new Date()`. */
  clock?: () => Date;
  /** Default us-east-1. */
  region?: string;
  /** Default 000000000000. */
  accountId?: string;
}

export interface SecretsManagerEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const TARGET_PREFIX = 'secretsmanager.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

interface Service {
  store: SecretStore;
  clock: () => Date;
  region: string;
  accountId: string;
}

function send(res: ServerResponse, status: number, payload: object, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(body);
}

function sendError(res: ServerResponse, error: ApiError): void {
  send(res, error.status, { __type: error.type, message: error.message }, { 'x-amzn-errortype': error.type });
}

function operationOf(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  const name = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  if (req.method !== 'POST' || !operations.has(name)) {
    throw new ApiError('UnknownOperationException', `Unknown operation: ${typeof target === 'string' ? target : '(none)'}`);
  }
  return name;
}

function parseBody(raw: Buffer): unknown {
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed;
}

function invoke(service: Service, operation: string, body: unknown): object {
  const handler = operations.get(operation);
  if (handler === undefined) throw new ApiError('UnknownOperationException', `Unknown operation: ${operation}`);
  const ctx: Context = { ...service, nowMs: service.clock().getTime() };
  try {
    ctx.store.purgeExpired(ctx.nowMs);
    return handler(ctx, body);
  } finally {
    ctx.store.flush();
  }
}

async function handle(service: Service, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req, MAX_BODY_BYTES);
  try {
    if (raw === 'too_large') throw new ApiError('SerializationException', 'The request body is too large.', 413);
    const operation = operationOf(req);
    send(res, 200, invoke(service, operation, parseBody(raw)));
  } catch (error) {
    if (error instanceof ApiError) {
      sendError(res, error);
      return;
    }
    console.error('Secrets Manager emulator: internal error', error);
    sendError(res, new ApiError('InternalServiceError', 'An error occurred on the server side.', 500));
  }
}

/** Starts the emulator; resolves once it is listening. */
export async function startSecretsManagerEmulator(
  options: SecretsManagerEmulatorOptions = {},
): Promise<SecretsManagerEmulator> {
  const host = options.host ?? '127.0.0.1';
  const service: Service = {
    store: new SecretStore(options.dataFile),
    clock: options.clock ?? ((): Date => new Date()),
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '000000000000',
  };
  // Only loopback Host names and no foreign Origin (../../guard.ts): no page can read a secret.
  const server = createGuardedServer((req, res) => {
    handle(service, req, res).catch((error: unknown) => {
      console.error('Secrets Manager emulator: request failed', error);
      res.destroy();
    });
  });
  const port = await listen(server, options.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () => closeServer(server),
  };
}
