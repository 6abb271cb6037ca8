import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/**
 * The HTTP transport the Pinterest client uses, injectable for tests. The default is Node's own
 * `node:http`/`node:https` (no HTTP library in the bundle) with a connect timeout of its own, so a
 * connect timeout (nothing sent) can be told apart from a response timeout (maybe processed).
 * `freshConnection` uses a new connection for the call: Pin creation never rides a pooled socket the
 * server may have half-closed.
 */

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The response timeout (or any other reason to give up): aborting rejects with `signal.reason`. */
  signal: AbortSignal;
  freshConnection?: boolean;
}

export interface HttpResponse {
  status: number;
  /** Lookup by header name, case-insensitive; repeated headers joined with `, `. */
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export type HttpTransport = (url: string, request: HttpRequest) => Promise<HttpResponse>;

/** The code of the error a connect timeout rejects with: nothing was sent (see `failedBeforeSend`). */
export const CONNECT_TIMEOUT_CODE = 'ECONNECTTIMEOUT';

export interface NodeTransportOptions {
  /** Extra trusted CA certificates (PEM), replacing the default roots: local TLS test servers only. */
  ca?: string;
}

/**
 * Node's `http`/`https` as the transport, picked by the URL's protocol (Pinterest is https; the local
 * emulator is http).
 *
 * - Ordinary calls share one keep-alive agent per protocol. Idle sockets are closed after 4 s (or
 *   before the server's own `Keep-Alive: timeout=` hint), before Pinterest's side would, and the most
 *   recently used socket is reused first, so older ones age out.
 * - `freshConnection` sends the call on a new, non-keep-alive connection (`agent: false`).
 * - The connect timeout runs from the call's start until the socket is connected: `connect` (http) or
 *   `secureConnect` (https: until the TLS handshake ends, no request byte leaves). A reused keep-alive
 *   socket is already connected: no timer then. On expiry the call rejects with code
 *   `ECONNECTTIMEOUT`, which `failedBeforeSend` counts as not sent. Before failing, the timer checks
 *   the socket once more, so a missed event can only err towards "maybe processed", never towards a
 *   repeated Pin.
 * - The response timeout is the caller's `signal`: abort destroys the request and rejects with the
 *   signal's reason (a DOMException `TimeoutError` for `AbortSignal.timeout`).
 * - Redirects are not followed (Node never does): a 3xx is answered as is.
 * - The body is read in full before the call resolves; the signal covers it too. A connection lost
 *   after the request went out (reset, `socket hang up`, an answer cut short) rejects with a code
 *   (`ECONNRESET`) that counts as maybe processed.
 */
export function nodeTransport(connectTimeoutMs = 3000, options: NodeTransportOptions = {}): HttpTransport {
  const pool = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: 16, maxFreeSockets: 4, timeout: 4000, scheduling: 'lifo' } as const;
  const agents = { http: new HttpAgent(pool), https: new HttpsAgent(pool) };
  return (url, request) => {
    const secure = new URL(url).protocol === 'https:';
    const agent = request.freshConnection === true ? false : secure ? agents.https : agents.http;
    return send(url, request, { secure, agent, connectTimeoutMs, ...(secure && options.ca !== undefined ? { ca: options.ca } : {}) });
  };
}

interface How {
  secure: boolean;
  agent: HttpAgent | false;
  connectTimeoutMs: number;
  ca?: string;
}

function send(url: string, request: HttpRequest, how: How): Promise<HttpResponse> {
  const { signal } = request;
  return new Promise<HttpResponse>((resolve, reject) => {
    const rejectWith = (error: unknown): void => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as is: the signal's reason is a DOMException
      reject(error);
    };
    if (signal.aborted) {
      rejectWith(reasonOf(signal));
      return;
    }
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    const req: ClientRequest = (how.secure ? httpsRequest : httpRequest)(url, {
      method: request.method,
      headers,
      agent: how.agent,
      ...(how.ca === undefined ? {} : { ca: how.ca }),
    });

    let settled = false;
    const finish = (outcome: { value: HttpResponse } | { error: unknown }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      signal.removeEventListener('abort', onAbort);
      if ('value' in outcome) resolve(outcome.value);
      else rejectWith(outcome.error);
    };
    const fail = (error: unknown): void => {
      finish({ error });
      req.destroy();
    };
    const onAbort = (): void => {
      fail(reasonOf(signal));
    };
    const connectTimer = setTimeout(() => {
      // A missed event must not turn a sent request into "not sent": look at the socket itself.
      if (req.socket !== null && connected(req.socket, how.secure)) return;
      fail(Object.assign(new Error(`connect timed out after ${how.connectTimeoutMs} ms`), { code: CONNECT_TIMEOUT_CODE }));
    }, how.connectTimeoutMs);

    signal.addEventListener('abort', onAbort, { once: true });
    // Kept for the request's whole life: an error after the call settled must not go unhandled.
    req.on('error', (error) => {
      finish({ error });
    });
    req.once('socket', (socket: Socket) => {
      const done = (): void => {
        clearTimeout(connectTimer);
      };
      if (req.reusedSocket || connected(socket, how.secure)) done();
      else socket.once(how.secure ? 'secureConnect' : 'connect', done);
    });
    req.on('response', (res) => {
      read(res).then(
        (value) => {
          finish({ value });
        },
        (error: unknown) => {
          fail(error);
        },
      );
    });
    req.end(request.body);
  });
}

/** True once the socket can carry the request: TCP connected and, for TLS, the handshake done. */
function connected(socket: Socket, secure: boolean): boolean {
  if (socket.pending) return false;
  if (!secure) return true;
  // The client's Finished message is sent last in the handshake: before it, no request byte leaves.
  return socket instanceof TLSSocket && socket.getFinished() !== undefined;
}

/** Collects an answer's body; an answer cut short rejects with ECONNRESET (maybe processed). */
function read(res: IncomingMessage): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const cutShort = () => Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' });
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', (error: Error & { code?: string }) => {
      reject(error.code === undefined ? Object.assign(error, { code: 'ECONNRESET' }) : error);
    });
    res.on('close', () => {
      if (!res.complete) reject(cutShort());
    });
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const raw = res.headers;
      resolve({
        status: res.statusCode ?? 0,
        headers: {
          get: (name) => {
            const value = raw[name.toLowerCase()];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          },
        },
        text: () => Promise.resolve(text),
      });
    });
  });
}

function reasonOf(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

const beforeSendCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', CONNECT_TIMEOUT_CODE]);

/** The error code behind a failed call (wrapped errors, e.g. fetch's, carry it as `cause`). */
export function networkErrorCode(error: unknown): string | undefined {
  // Duck-typed: DOMException (timeouts) is not always `instanceof Error` across realms.
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { code, name, cause } = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    if (name === 'TimeoutError' || name === 'AbortError') return name;
    current = cause;
  }
  return undefined;
}

/** True only when the request cannot have reached the server. */
export function failedBeforeSend(error: unknown): boolean {
  const code = networkErrorCode(error);
  return code !== undefined && beforeSendCodes.has(code);
}
