import { nodeTransport, type HttpRequest, type HttpTransport } from '../../shared/adapters/pinterest/http';

export interface Exchange {
  url: string;
  request: HttpRequest;
  status: number;
  body: string;
  contentType: string | null;
}

/** Wraps the real transport and keeps every request and answer, for contract checks. */
export function recordingTransport(inner: HttpTransport = nodeTransport()): { transport: HttpTransport; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const transport: HttpTransport = async (url, request) => {
    const response = await inner(url, request);
    const body = await response.text();
    exchanges.push({ url, request, status: response.status, body, contentType: response.headers.get('content-type') });
    return { status: response.status, headers: response.headers, text: () => Promise.resolve(body) };
  };
  return { transport, exchanges };
}
