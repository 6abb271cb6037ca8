import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { injectedRateLimit, injectedSpamBlock } from './api';
import { categoryOf } from './api-routes';
import { MESSAGES } from './constants';
import { CONTROL_PATH_PREFIX } from './control-routes';
import type { OutcomeFault } from './faults';
import { apiError, flatHeaders, json, readBody, type EmulatorRequest, type Reply } from './http';
import type { EmulatorService } from './service';
import type { HostName } from './types';
import { boardNotFound } from './views';

/**
 * The request pipeline of every host (all three share the service): log the request, apply injected
 * faults (a request whose client left during a `delay` with `ifAbandoned: 'drop'` stops there), purge expired
 * records, dispatch, persist (unless the answer is read-only), answer. API hosts add an
 * `x-pinterest-rid` request id to every answer, as Pinterest does. The sockets themselves are in
 * ./host-listener.ts.
 */

export type Dispatch = (req: EmulatorRequest) => Reply;

function faultStatusReply(fault: Extract<OutcomeFault, { kind: 'status' }>): Reply {
  if (typeof fault.body === 'string') {
    // A string body is sent as is: gateways answer 502/503 with HTML or text, not Pinterest JSON.
    return { status: fault.status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: fault.body };
  }
  return json(fault.status, fault.body ?? { code: fault.status, message: STATUS_CODES[fault.status] ?? 'Error' });
}

/** A 200 whose JSON stops half-way, as when a proxy cuts an answer short. */
function truncated(reply: Reply): Reply {
  const cut = reply.body.slice(0, Math.max(2, Math.floor(reply.body.length / 2)));
  return { status: 200, headers: { 'content-type': 'application/json' }, body: cut.length < 2 ? '{"' : cut };
}

function replyFor(service: EmulatorService, dispatch: Dispatch, req: EmulatorRequest, outcome: OutcomeFault | undefined): Reply {
  const run = (request: EmulatorRequest): Reply => {
    service.store.purgeExpired(request.nowMs);
    return dispatch(request);
  };
  switch (outcome?.kind) {
    case 'status':
      return faultStatusReply(outcome);
    case 'rate_limit':
      if (req.host === 'www') return apiError(429, 8, MESSAGES.rateLimited);
      return injectedRateLimit(service, req.host, req.nowMs, categoryOf(req.method, req.path));
    case 'spam_block':
      return req.host === 'www' ? apiError(429, 8, MESSAGES.spamBlock) : injectedSpamBlock(service, req.host, req.nowMs);
    case 'board_not_found':
      return boardNotFound();
    case 'malformed_json':
      return truncated(run(req));
    case 'omit_refresh_token':
      return run({ ...req, omitRefreshToken: true });
    case 'image_unreachable':
      return run({ ...req, imageUnreachable: true });
    default:
      return run(req);
  }
}

/**
 * API answers close their connection: a client's pooled keep-alive connection would otherwise meet
 * a `refuse_connection` fault as a reset socket instead of the ECONNREFUSED the fault promises.
 */
function send(res: ServerResponse, host: HostName, rid: string, reply: Reply): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-length': String(Buffer.byteLength(reply.body)),
    ...(host === 'www' ? {} : { 'x-pinterest-rid': rid, connection: 'close' }),
  });
  res.end(reply.body);
}

function toRequest(service: EmulatorService, host: HostName, req: IncomingMessage, body: string): EmulatorRequest {
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  return {
    host,
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body,
    params: {},
    nowMs: service.clock().getTime(),
    rid: randomBytes(8).toString('hex'),
    omitRefreshToken: false,
    imageUnreachable: false,
  };
}

function logRequest(service: EmulatorService, request: EmulatorRequest): void {
  service.log.add({
    host: request.host,
    method: request.method,
    path: request.path,
    query: Object.fromEntries(request.query),
    headers: flatHeaders(request.headers),
    body: request.body,
    at: new Date(request.nowMs).toISOString(),
    rid: request.rid,
  });
}

/** The client's connection is closed: nobody is waiting for an answer any more. */
function clientGone(req: IncomingMessage, res: ServerResponse): boolean {
  return res.closed || res.destroyed || req.socket.destroyed;
}

async function handle(service: EmulatorService, host: HostName, dispatch: Dispatch, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req);
  const request = toRequest(service, host, req, raw.text);
  // Control calls are the test harness talking, not a client under test: neither logged nor faulted.
  const isControl = host === 'www' && request.path.startsWith(CONTROL_PATH_PREFIX);
  if (!isControl) logRequest(service, request);
  const plan = isControl ? { delaysMs: [], dropIfAbandoned: false, outcome: undefined } : service.faults.plan(host, request.method, request.path);
  for (const ms of plan.delaysMs) await sleep(ms);
  // With `ifAbandoned: 'drop'`, a client that gave up during the delay gets nothing and changes
  // nothing, like a request cancelled while still queued: no dispatch, no flush. (`req.destroyed` is
  // no sign: it is already true once the body has been read.)
  if (plan.dropIfAbandoned && clientGone(req, res)) return;
  const { outcome } = plan;
  if (outcome?.kind === 'drop_connection' && outcome.afterProcessing !== true) {
    res.destroy();
    return;
  }
  const reply = raw.tooLarge ? apiError(413, 1, 'The request body is too large.') : replyFor(service, dispatch, request, outcome);
  if (reply.readOnly !== true) service.store.flush();
  // Dropping after processing: the change (a created Pin, a consumed code) is kept, the answer lost.
  if (outcome?.kind === 'drop_connection' || outcome?.kind === 'create_then_drop') res.destroy();
  else send(res, host, request.rid, reply);
}

/** The request listener of one host's HTTP server. */
export function hostRequestListener(service: EmulatorService, host: HostName, dispatch: Dispatch): RequestListener {
  return (req, res) => {
    handle(service, host, dispatch, req, res).catch((error: unknown) => {
      console.error(`Pinterest emulator (${host}): request failed`, error);
      if (!res.headersSent) send(res, host, randomBytes(8).toString('hex'), apiError(500, 500, 'Pinterest emulator: internal error'));
      else res.destroy();
    });
  };
}
