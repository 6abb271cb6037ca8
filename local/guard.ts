import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';

/**
 * Keeps every local server (the API stand-in and every emulator) out of reach of web pages. A page
 * the operator happens to open can send requests to 127.0.0.1 (simple cross-site POSTs need no CORS
 * consent) or, by DNS rebinding, make its own host name resolve to 127.0.0.1 and then read the
 * answers. So every request must name the server by loopback address in `Host`
 * (`127.0.0.1` or `localhost`, optionally with the server's own port), and a request that carries an
 * `Origin` must come from the server's own origin. Anything else gets a 403 JSON answer and never
 * reaches the server's handler. No CORS headers ever leave the server: `Access-Control-*` headers a
 * library sets (dynalite answers any Origin with `*`) are dropped.
 *
 * Legitimate traffic is unaffected: the AWS SDK, our Pinterest client, curl and tests send no Origin,
 * browser navigations with GET send none either, and a page's own form posts carry its own origin.
 */

export interface GuardOptions {
  /**
   * More origins to accept, read on every request (the API stand-in accepts PUBLIC_BASE_URL's origin,
   * where its pages are served from behind a tunnel or proxy).
   */
  extraOrigins?: () => readonly string[];
  /** Told about each refusal after it is answered (the API stand-in logs it like its other answers). */
  onRefused?: (req: IncomingMessage, why: string) => void;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost'] as const;
const guarded = new WeakSet<Server>();

function boundPort(server: Server, req: IncomingMessage): number | undefined {
  const address = server.address();
  if (address !== null && typeof address === 'object') return address.port;
  return req.socket.localPort;
}

/** The one value of a header, or undefined when it is absent; `null` when it was sent more than once. */
function single(req: IncomingMessage, name: string): string | undefined | null {
  const values = req.headersDistinct[name];
  if (values === undefined || values.length === 0) return undefined;
  return values.length === 1 ? (values[0] ?? '') : null;
}

function hostAllowed(host: string | undefined | null, port: number | undefined): boolean {
  if (typeof host !== 'string') return false;
  const value = host.toLowerCase();
  return LOOPBACK_NAMES.some((name) => value === name || (port !== undefined && value === `${name}:${String(port)}`));
}

function ownOrigins(port: number | undefined): string[] {
  if (port === undefined) return [];
  return LOOPBACK_NAMES.flatMap((name) => (port === 80 ? [`http://${name}`, `http://${name}:80`] : [`http://${name}:${String(port)}`]));
}

/** An origin as browsers serialize it (`scheme://host[:port]`), or undefined for anything unusable. */
export function originOf(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

function originAllowed(origin: string | undefined | null, port: number | undefined, options: GuardOptions): boolean {
  if (origin === undefined) return true;
  // Sent twice, empty, or the opaque `null` (sandboxed pages, cross-origin redirects, file: URLs): foreign.
  if (origin === null || origin === '' || origin === 'null') return false;
  const value = origin.toLowerCase();
  if (ownOrigins(port).includes(value)) return true;
  return (options.extraOrigins?.() ?? []).some((extra) => extra.toLowerCase() === value);
}

/** Why a request is refused, or undefined when it may go on. */
export function refusal(req: IncomingMessage, port: number | undefined, options: GuardOptions = {}): string | undefined {
  if (!hostAllowed(single(req, 'host'), port)) return 'unexpected Host header';
  if (!originAllowed(single(req, 'origin'), port, options)) return 'cross-origin requests are refused';
  return undefined;
}

function refuse(res: ServerResponse, why: string): void {
  const body = JSON.stringify({ message: `Forbidden: ${why}` });
  res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

const isCorsHeader = (name: unknown): boolean => typeof name === 'string' && /^access-control-/i.test(name);

/** The `headers` argument of writeHead (object, flat `[name, value, …]` list or `[name, value]` pairs) without CORS headers. */
function withoutCorsHeaders(headers: unknown): unknown {
  if (Array.isArray(headers)) {
    const list = headers as unknown[];
    if (list.length > 0 && Array.isArray(list[0])) return list.filter((pair) => !(Array.isArray(pair) && isCorsHeader(pair[0])));
    const kept: unknown[] = [];
    for (let i = 0; i < list.length; i += 2) {
      if (!isCorsHeader(list[i])) kept.push(list[i], list[i + 1]);
    }
    return kept;
  }
  if (typeof headers === 'object' && headers !== null) {
    return Object.fromEntries(Object.entries(headers).filter(([name]) => !isCorsHeader(name)));
  }
  return headers;
}

/** Makes `res` drop every `Access-Control-*` header, however it is set. */
function stripCorsHeaders(res: ServerResponse): void {
  const setHeader = res.setHeader.bind(res);
  const appendHeader = res.appendHeader.bind(res);
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.setHeader = (name, value) => (isCorsHeader(name) ? res : setHeader(name, value));
  res.appendHeader = (name, value) => (isCorsHeader(name) ? res : appendHeader(name, value));
  // writeHead is also what an implicit header write (a first write or end) goes through.
  res.writeHead = (statusCode: number, ...rest: unknown[]) => {
    for (const name of res.getHeaderNames()) if (isCorsHeader(name)) res.removeHeader(name);
    return writeHead(statusCode, ...rest.map((arg) => (typeof arg === 'string' ? arg : withoutCorsHeaders(arg))));
  };
}

/**
 * Puts the guard in front of `server`'s 'request' listeners: they are replaced by one dispatcher that
 * refuses foreign requests and hands the others on. Call it once the listeners are attached (after
 * creating the server, or right after a library that attaches its own has started it). The port in
 * the allowed Host and Origin values is the one the server is bound to when the request arrives.
 */
export function guardServer<S extends Server>(server: S, options: GuardOptions = {}): S {
  if (guarded.has(server)) return server;
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length === 0) throw new Error('guardServer: the server has no request listener yet');
  guarded.add(server);
  server.removeAllListeners('request');
  // A missing Host would otherwise get Node's bare 400 instead of the guard's 403.
  Object.assign(server, { requireHostHeader: false });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    stripCorsHeaders(res);
    const why = refusal(req, boundPort(server, req), options);
    if (why !== undefined) {
      refuse(res, why);
      options.onRefused?.(req, why);
      return;
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
  return server;
}

/** `http.createServer(listener)`, guarded. */
export function createGuardedServer(listener: RequestListener, options: GuardOptions = {}): Server {
  return guardServer(createServer(listener), options);
}
