import { Agent, fetch as undiciFetch } from 'undici';

/**
 * The HTTP transport the Pinterest client uses, injectable for tests. The default is undici with a
 * connect timeout of its own, so a connect timeout (nothing sent) can be told apart from a response
 * timeout (maybe processed). `freshConnection` uses a new connection for the call: Pin creation never
 * rides a pooled socket the server may have half-closed.
 */

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  freshConnection?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export type HttpTransport = (url: string, request: HttpRequest) => Promise<HttpResponse>;

export function undiciTransport(connectTimeoutMs = 3000): HttpTransport {
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

const beforeSendCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** The error code behind a failed fetch (undici wraps it as `cause`, sometimes twice). */
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
